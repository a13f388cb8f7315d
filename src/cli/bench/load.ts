// The load generator behind `inferd bench`: pre-encodes a few ModelInferRequest messages once, then drives
// ModelInfer over one gRPC channel either closed-loop (N callers, each sending its next request when the last
// answers) or open-loop (a fixed request rate), and records each call's latency. Requests and responses cross
// the client as raw bytes so the client spends its CPU on the transport, not on protobuf.

import * as grpc from '@grpc/grpc-js';
import { ModelInferRequest } from '../../../generated/inference/grpc_service';

const METHOD = '/inference.GRPCInferenceService/ModelInfer';
const passthrough = (b: Buffer): Buffer => b;

export interface InputSpec {
  name: string;
  datatype: string;
  /** Full shape, batch dim included. */
  shape: number[];
  /** Raw little-endian contents (BYTES: 4-byte length prefixed), one per request variant. */
  raw: Buffer[];
}

export interface LoadOptions {
  model: string;
  version: string;
  inputs: InputSpec[];
  /** Closed loop: callers in flight. */
  concurrency: number;
  /** Open loop: requests per second (0: closed loop). */
  requestRate: number;
  /** Stop after this many requests, or after durationMs, whichever first (0: not that limit). */
  requestCount: number;
  durationMs: number;
  timeoutMs: number;
  onProgress?: (done: number) => void;
}

export interface LoadResult {
  requests: number;
  errors: number;
  firstError: string;
  elapsedS: number;
  latenciesUs: number[];
}

export function encodeRequests(o: Pick<LoadOptions, 'model' | 'version' | 'inputs'>): Buffer[] {
  const variants = Math.max(...o.inputs.map((i) => i.raw.length));
  return Array.from({ length: variants }, (_, v) =>
    Buffer.from(
      ModelInferRequest.encode({
        modelName: o.model,
        modelVersion: o.version,
        id: '',
        parameters: {},
        inputs: o.inputs.map((i) => ({ name: i.name, datatype: i.datatype, shape: i.shape.map(BigInt), parameters: {}, contents: undefined })),
        outputs: [],
        rawInputContents: o.inputs.map((i) => i.raw[v % i.raw.length]),
      }).finish(),
    ),
  );
}

export class RawInferClient {
  private readonly client: grpc.Client;

  constructor(address: string) {
    this.client = new grpc.Client(address, grpc.credentials.createInsecure(), {
      'grpc.max_receive_message_length': -1,
      'grpc.max_send_message_length': -1,
    });
  }

  infer(body: Buffer, timeoutMs: number): Promise<Buffer> {
    return new Promise((resolve, reject) =>
      this.client.makeUnaryRequest(METHOD, passthrough, passthrough, body, { deadline: Date.now() + timeoutMs }, (err, res) =>
        err ? reject(err) : resolve(res as Buffer),
      ),
    );
  }

  close(): void {
    this.client.close();
  }
}

const nowUs = (): number => Number(process.hrtime.bigint()) / 1000;

/**
 * Untimed load before a level: `requests` one at a time, then `durationMs` of the level's own load (its concurrency
 * or rate), so the server and this client have compiled their hot paths before anything is measured.
 */
export async function warmUp(client: RawInferClient, bodies: Buffer[], o: LoadOptions, requests: number, durationMs: number): Promise<void> {
  for (let i = 0; i < requests; i++) await client.infer(bodies[i % bodies.length], o.timeoutMs).catch(() => undefined);
  if (durationMs > 0) await runLoad(client, bodies, { ...o, requestCount: 0, durationMs, onProgress: undefined });
}

export async function runLoad(client: RawInferClient, bodies: Buffer[], o: LoadOptions): Promise<LoadResult> {
  const latenciesUs: number[] = [];
  let sent = 0;
  let errors = 0;
  let firstError = '';
  const start = nowUs();
  const endUs = o.durationMs > 0 ? start + o.durationMs * 1000 : Infinity;
  const more = (): boolean => (o.requestCount === 0 || sent < o.requestCount) && nowUs() < endUs;
  const one = async (): Promise<void> => {
    const body = bodies[sent % bodies.length];
    sent++;
    const t0 = nowUs();
    try {
      await client.infer(body, o.timeoutMs);
      latenciesUs.push(nowUs() - t0);
    } catch (err) {
      errors++;
      if (!firstError) firstError = (err as Error).message;
    }
    o.onProgress?.(latenciesUs.length + errors);
  };
  if (o.requestRate > 0) {
    const inflight = new Set<Promise<void>>();
    const intervalUs = 1e6 / o.requestRate;
    while (more()) {
      const due = start + sent * intervalUs;
      const wait = due - nowUs();
      if (wait > 1000) await new Promise((r) => setTimeout(r, wait / 1000));
      const p = one().then(() => void inflight.delete(p));
      inflight.add(p);
      if (inflight.size > 10_000) await Promise.race(inflight);
      else if (wait <= 1000) await new Promise((r) => setImmediate(r));
    }
    await Promise.all(inflight);
  } else {
    const caller = async (): Promise<void> => {
      while (more()) await one();
    };
    await Promise.all(Array.from({ length: o.concurrency }, caller));
  }
  return { requests: latenciesUs.length, errors, firstError, elapsedS: (nowUs() - start) / 1e6, latenciesUs };
}

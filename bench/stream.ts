// Streaming benchmark (`node dist/bench/stream.js [inferd serve flags…]`): inferences/s over one ModelStreamInfer
// stream to inferd (`simple`, batch 1) next to a bare grpc-js bidi echo stream answering with messages of the same
// size, each server in its own process and measured side by side in this run; then the example generator's
// per-token latency (one generation, and 8 generations sharing one stream).

import * as path from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { GRPCInferenceServiceClient, type ModelInferRequest, type ModelStreamInferResponse } from '../generated/inference/grpc_service';
import { REPO_ROOT, startBenchServer, startServerProcess } from './server-process';
import { SIMPLE_REQUEST } from './simple-request';
import { nowUs, percentiles } from './stats';

const WARMUP = 1000;
const REQUESTS = 10000;
/** Requests outstanding on the stream at once. */
const WINDOW = 32;
const ROUNDS = 3;

const simpleRequest = (id: string): ModelInferRequest => ({ ...SIMPLE_REQUEST, id });

/** Inferences/s of `count` requests over one stream with WINDOW outstanding. */
function streamRate(client: GRPCInferenceServiceClient, count: number): Promise<number> {
  const stream = client.modelStreamInfer();
  const request = simpleRequest('bench');
  let sent = 0;
  let received = 0;
  const t0 = nowUs();
  return new Promise((resolve, reject) => {
    const fill = (): void => {
      while (sent < count && sent - received < WINDOW) {
        stream.write(request);
        sent++;
      }
    };
    stream.on('data', (m: ModelStreamInferResponse) => {
      if (m.errorMessage !== '') reject(new Error(m.errorMessage));
      received++;
      if (received === count) stream.end();
      else fill();
    });
    stream.on('error', reject);
    stream.on('end', () => resolve((count / (nowUs() - t0)) * 1e6));
    fill();
  });
}

/** Inferences/s of `count` unary ModelInfer calls with WINDOW in flight (the same work without a stream). */
async function unaryRate(client: GRPCInferenceServiceClient, count: number): Promise<number> {
  const request = simpleRequest('bench');
  let next = 0;
  const t0 = nowUs();
  const worker = async (): Promise<void> => {
    while (next++ < count) {
      await new Promise<void>((resolve, reject) => client.modelInfer(request, (err) => (err ? reject(err) : resolve())));
    }
  };
  await Promise.all(Array.from({ length: WINDOW }, worker));
  return (count / (nowUs() - t0)) * 1e6;
}

interface Generation {
  firstTokenUs: number;
  intervalsUs: number[];
  tokens: number;
}

/** `n` generations of `maxTokens` on one stream; per-token arrival intervals per generation. */
function generations(client: GRPCInferenceServiceClient, n: number, maxTokens: number): Promise<Generation[]> {
  const prompt = 'Four score';
  const codes = BigInt64Array.from([...prompt].map((c) => BigInt(c.charCodeAt(0))));
  const stream = client.modelStreamInfer();
  const t0 = nowUs();
  const runs: Generation[] = Array.from({ length: n }, () => ({ firstTokenUs: 0, intervalsUs: [], tokens: 0 }));
  const last = new Array<number>(n).fill(0);
  return new Promise((resolve, reject) => {
    let finals = 0;
    stream.on('data', (m: ModelStreamInferResponse) => {
      if (m.errorMessage !== '') return reject(new Error(m.errorMessage));
      const res = m.inferResponse!;
      const i = Number(res.id);
      if (res.parameters.triton_final_response?.boolParam) {
        if (++finals === n) stream.end();
        return;
      }
      const now = nowUs();
      if (runs[i].tokens === 0) runs[i].firstTokenUs = now - t0;
      else runs[i].intervalsUs.push(now - last[i]);
      last[i] = now;
      runs[i].tokens++;
    });
    stream.on('error', reject);
    stream.on('end', () => resolve(runs));
    for (let i = 0; i < n; i++) {
      stream.write({
        modelName: 'generator',
        modelVersion: '',
        id: String(i),
        parameters: { max_tokens: { int64Param: BigInt(maxTokens) } },
        inputs: [{ name: 'TOKENS', datatype: 'INT64', shape: [1n, BigInt(codes.length)], parameters: {}, contents: undefined }],
        outputs: [],
        rawInputContents: [Buffer.from(codes.buffer)],
      });
    }
  });
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

export async function streamBenchmark(serveArgs: string[]): Promise<void> {
  const inferd = await startServerProcess(['--model-repository', path.join(REPO_ROOT, 'models'), ...serveArgs]);
  const echo = await startBenchServer('stream-echo-server.js', []);
  const inferdClient = new GRPCInferenceServiceClient(inferd.address, grpc.credentials.createInsecure());
  const echoClient = new GRPCInferenceServiceClient(echo.address, grpc.credentials.createInsecure());
  try {
    await streamRate(inferdClient, WARMUP);
    await streamRate(echoClient, WARMUP);
    const served: number[] = [];
    const ceiling: number[] = [];
    const unary: number[] = [];
    for (let r = 0; r < ROUNDS; r++) {
      served.push(await streamRate(inferdClient, REQUESTS));
      ceiling.push(await streamRate(echoClient, REQUESTS));
      unary.push(await unaryRate(inferdClient, REQUESTS));
    }
    const s = median(served);
    const e = median(ceiling);
    console.log(`ModelStreamInfer, simple batch 1, one stream, ${WINDOW} outstanding, median of ${ROUNDS} rounds of ${REQUESTS}`);
    console.log(`  bare grpc-js bidi echo (same message sizes): ${e.toFixed(0)} msg/s`);
    console.log(`  inferd:                                     ${s.toFixed(0)} inferences/s`);
    console.log(`  ratio inferd / echo ceiling:                ${(s / e).toFixed(2)}× (target ≥ 0.7×)`);
    console.log(`  for reference, inferd unary ModelInfer with ${WINDOW} in flight: ${median(unary).toFixed(0)} inferences/s`);

    await generations(inferdClient, 1, 20);
    for (const n of [1, 8]) {
      const runs = await generations(inferdClient, n, 200);
      const intervals = percentiles(runs.flatMap((g) => g.intervalsUs));
      const first = percentiles(runs.map((g) => g.firstTokenUs));
      const tokens = runs.reduce((a, g) => a + g.tokens, 0);
      console.log(`generator, ${n} generation(s) of 200 tokens on one stream (${tokens} tokens)`);
      console.log(`  per-token latency: p50 ${intervals.p50.toFixed(0)} µs, p90 ${intervals.p90.toFixed(0)} µs, p99 ${intervals.p99.toFixed(0)} µs`);
      console.log(`  time to first token: p50 ${first.p50.toFixed(0)} µs`);
    }
  } finally {
    inferdClient.close();
    echoClient.close();
    await echo.stop();
    await inferd.stop();
  }
}

if (require.main === module) {
  streamBenchmark(process.argv.slice(2)).catch((err: unknown) => {
    console.error(err);
    process.exit(1);
  });
}

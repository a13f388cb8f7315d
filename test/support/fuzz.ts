// The ModelInfer fuzzer shared by the jest test (a bounded run) and `npm run fuzz` (a long one): seeded cases of
// random and mutated protobuf bytes — random bytes, truncations, bit flips, splices, huge declared lengths,
// negative dims, shape overflow, huge rank, many tensors, datatype confusion, hostile BYTES lengths, merged
// messages — sent raw on the wire. Each answer must be OK or a client-error status (never INTERNAL, UNKNOWN or a
// timeout); outcomes are tallied per case kind, and the heap is sampled after a warm-up and at the end.

import * as v8 from 'node:v8';
import * as vm from 'node:vm';
import * as grpc from '@grpc/grpc-js';
import { ModelInferRequest } from '../../generated/inference/grpc_service';
import { mulberry32 as prng } from '../../scripts/onnx-builder';
import { MODEL_INFER, RawClient } from './raw-client';

type Rand = () => number;
const int = (r: Rand, n: number) => Math.floor(r() * n);
const pick = <T>(r: Rand, list: readonly T[]): T => list[int(r, list.length)];
const randomBytes = (r: Rand, n: number) => Buffer.from(Array.from({ length: n }, () => int(r, 256)));

const DATATYPES = ['BOOL', 'UINT8', 'UINT16', 'UINT32', 'UINT64', 'INT8', 'INT16', 'INT32', 'INT64', 'FP16', 'BF16', 'FP32', 'FP64', 'BYTES', 'STRING', 'fp32', '', 'INT32\0', 'FP32 '];
const MODELS = ['simple', 'simple_string', 'mlp', '', 'missing', '../simple', 'simple\0'];

type Req = Partial<ModelInferRequest> & { inputs?: ModelInferRequest['inputs'] };
const tensor = (name: string, datatype: string, shape: bigint[], contents?: ModelInferRequest['inputs'][0]['contents']) =>
  ({ name, datatype, shape, parameters: {}, contents });
const encode = (req: Req): Buffer =>
  Buffer.from(ModelInferRequest.encode(ModelInferRequest.fromPartial(req as ModelInferRequest)).finish());

function bytesElements(lengths: number[], r: Rand): Buffer {
  return Buffer.concat(lengths.flatMap((n) => {
    const len = Buffer.alloc(4);
    len.writeUInt32LE(n >>> 0);
    return [len, randomBytes(r, Math.min(n, 8))];
  }));
}

/** Well-formed requests for the test models, the seeds that mutations start from. */
function seeds(): Buffer[] {
  const i32 = Buffer.from(new Int32Array(16).fill(3).buffer);
  const simple = { modelName: 'simple', inputs: ['INPUT0', 'INPUT1'].map((n) => tensor(n, 'INT32', [1n, 16n])), rawInputContents: [i32, i32] };
  const typed = { modelName: 'simple', inputs: ['INPUT0', 'INPUT1'].map((n) => tensor(n, 'INT32', [1n, 16n], { intContents: new Array(16).fill(2) } as never)) };
  const strings = Buffer.concat(Array.from({ length: 16 }, () => Buffer.from([1, 0, 0, 0, 0x37])));
  const str = { modelName: 'simple_string', inputs: ['INPUT0', 'INPUT1'].map((n) => tensor(n, 'BYTES', [1n, 16n])), rawInputContents: [strings, strings] };
  const mlp = { modelName: 'mlp', inputs: [tensor('INPUT', 'FP32', [2n, 4n])], rawInputContents: [Buffer.from(new Float32Array(8).fill(0.5).buffer)], outputs: [{ name: 'OUTPUT', parameters: {} }] };
  return [simple, typed, str, mlp].map(encode);
}

export interface FuzzCase {
  kind: string;
  bytes: Buffer;
}

const KINDS = [
  'random-bytes', 'truncated', 'bit-flip', 'splice', 'huge-declared-length', 'negative-dims', 'shape-overflow',
  'huge-rank', 'many-tensors', 'datatype-confusion', 'hostile-bytes-lengths', 'merged-messages', 'raw-count-mismatch',
] as const;

export function makeCase(r: Rand, seedMessages: Buffer[]): FuzzCase {
  const kind = pick(r, KINDS);
  const seed = pick(r, seedMessages);
  const model = () => pick(r, MODELS);
  switch (kind) {
    case 'random-bytes':
      return { kind, bytes: randomBytes(r, int(r, 600)) };
    case 'truncated':
      return { kind, bytes: seed.subarray(0, int(r, seed.length)) };
    case 'bit-flip': {
      const b = Buffer.from(seed);
      for (let i = 1 + int(r, 8); i > 0; i--) b[int(r, b.length)] ^= 1 << int(r, 8);
      return { kind, bytes: b };
    }
    case 'splice': {
      const at = int(r, seed.length);
      const cut = int(r, 16);
      return { kind, bytes: Buffer.concat([seed.subarray(0, at), randomBytes(r, int(r, 16)), seed.subarray(at + cut)]) };
    }
    case 'huge-declared-length': {
      // A length-delimited field (inputs=5, raw_input_contents=7, model_name=1, id=3) claiming far more bytes than sent.
      const tag = pick(r, [0x2a, 0x3a, 0x0a, 0x1a]);
      const length = pick(r, [[0xff, 0xff, 0xff, 0xff, 0x07], [0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x01], [0xff, 0xff, 0xff, 0xff, 0x0f]]);
      const at = int(r, seed.length);
      return { kind, bytes: Buffer.concat([seed.subarray(0, at), Buffer.from([tag, ...length]), randomBytes(r, int(r, 32))]) };
    }
    case 'negative-dims':
      return { kind, bytes: encode({ modelName: model(), inputs: [tensor('INPUT0', 'INT32', [pick(r, [-1n, -16n, -(2n ** 63n)]), 16n])], rawInputContents: [randomBytes(r, 64)] }) };
    case 'shape-overflow': {
      const shape = pick(r, [[2n ** 62n, 2n ** 62n], [2n ** 31n, 2n ** 31n, 2n ** 31n], [2n ** 53n + 1n], [2n ** 63n - 1n], [4294967296n, 0n, 4294967296n]]);
      return { kind, bytes: encode({ modelName: model(), inputs: [tensor('INPUT0', pick(r, DATATYPES), shape)], rawInputContents: [randomBytes(r, int(r, 64))] }) };
    }
    case 'huge-rank':
      return { kind, bytes: encode({ modelName: model(), inputs: [tensor('INPUT0', 'INT32', new Array(1000 + int(r, 20000)).fill(1n))], rawInputContents: [randomBytes(r, 4)] }) };
    case 'many-tensors': {
      const n = 100 + int(r, 3000);
      return { kind, bytes: encode({ modelName: model(), inputs: Array.from({ length: n }, (_, i) => tensor(`INPUT${i % 3}`, 'INT32', [1n, 16n])), rawInputContents: Array.from({ length: n }, () => Buffer.alloc(64)) }) };
    }
    case 'datatype-confusion': {
      const contents = pick(r, [
        { intContents: [1, 2, 3] }, { fp32Contents: new Array(16).fill(1.5) }, { int64Contents: [1n, -1n] }, { bytesContents: [Buffer.from('x')] },
        { boolContents: [true] }, { uint64Contents: [2n ** 64n - 1n] }, { fp64Contents: [NaN, Infinity] }, undefined,
      ]);
      const raw = r() < 0.5 ? [randomBytes(r, pick(r, [0, 16, 64, 63]))] : [];
      return { kind, bytes: encode({ modelName: model(), inputs: [tensor(pick(r, ['INPUT', 'INPUT0', 'INPUT1', '']), pick(r, DATATYPES), [1n, BigInt(int(r, 17))], contents as never)], rawInputContents: raw }) };
    }
    case 'hostile-bytes-lengths': {
      const lengths = Array.from({ length: 16 }, () => pick(r, [1, 0, 0xffffffff, 0x7fffffff, 65536, 5]));
      return { kind, bytes: encode({ modelName: 'simple_string', inputs: ['INPUT0', 'INPUT1'].map((n) => tensor(n, 'BYTES', [1n, 16n])), rawInputContents: [bytesElements(lengths, r), bytesElements(lengths, r)] }) };
    }
    case 'merged-messages':
      return { kind, bytes: Buffer.concat([seed, pick(r, seedMessages)]) };
    case 'raw-count-mismatch':
      return { kind, bytes: encode({ modelName: model(), inputs: ['INPUT0', 'INPUT1'].map((n) => tensor(n, 'INT32', [1n, 16n])), rawInputContents: Array.from({ length: int(r, 5) }, () => Buffer.alloc(64)) }) };
  }
}

/** Statuses a hostile request may get. INTERNAL, UNKNOWN, DEADLINE_EXCEEDED or a dropped connection are bugs. */
const ACCEPTABLE = new Set(['OK', 'INVALID_ARGUMENT', 'NOT_FOUND', 'UNAVAILABLE', 'RESOURCE_EXHAUSTED', 'FAILED_PRECONDITION']);

export interface FuzzReport {
  cases: number;
  /** kind → outcome → count */
  outcomes: Record<string, Record<string, number>>;
  /** Cases whose answer was not acceptable (kind, status, details, base64 bytes). */
  failures: { kind: string; outcome: string; details: string; bytes: string }[];
  /** heapUsed + arrayBuffers after GC, in MiB: after the warm-up and at the end. */
  memoryMiB: { afterWarmup: number; atEnd: number };
  /** Request bytes sent after the warm-up (what a leak of request buffers would add to the heap). */
  bytesAfterWarmup: number;
  serverLiveAtEnd: boolean;
}

function gcFunction(): () => void {
  v8.setFlagsFromString('--expose-gc');
  return vm.runInNewContext('gc') as () => void;
}

async function memoryMiB(gc: () => void): Promise<number> {
  for (let i = 0; i < 3; i++) {
    gc();
    await new Promise((r) => setImmediate(r));
  }
  const m = process.memoryUsage();
  return (m.heapUsed + m.arrayBuffers) / 2 ** 20;
}

/** Runs `cases` cases (the first `warmup` of them before the memory baseline) against a server at `address`. */
export async function runFuzz(address: string, options: { seed: number; cases: number; warmup: number; concurrency: number }): Promise<FuzzReport> {
  const r = prng(options.seed);
  const seedMessages = seeds();
  const client = new RawClient(address, grpc.credentials.createInsecure(), { 'grpc.max_send_message_length': -1 });
  const report: FuzzReport = { cases: 0, outcomes: {}, failures: [], memoryMiB: { afterWarmup: 0, atEnd: 0 }, bytesAfterWarmup: 0, serverLiveAtEnd: false };
  const gc = gcFunction();
  let bytesSent = 0;
  const runBatch = async (n: number) => {
    for (let done = 0; done < n; ) {
      const batch = Array.from({ length: Math.min(options.concurrency, n - done) }, () => makeCase(r, seedMessages));
      done += batch.length;
      for (const c of batch) bytesSent += c.bytes.length;
      const answers = await Promise.all(batch.map((c) => client.unary(MODEL_INFER, c.bytes)));
      batch.forEach((c, i) => {
        const a = answers[i];
        const outcome = a.ok ? 'OK' : grpc.status[a.error.code];
        const perKind = (report.outcomes[c.kind] ??= {});
        perKind[outcome] = (perKind[outcome] ?? 0) + 1;
        report.cases++;
        if (!ACCEPTABLE.has(outcome)) {
          report.failures.push({ kind: c.kind, outcome, details: a.ok ? '' : a.error.details, bytes: c.bytes.toString('base64').slice(0, 4096) });
        }
      });
    }
  };
  try {
    await runBatch(options.warmup);
    report.memoryMiB.afterWarmup = await memoryMiB(gc);
    bytesSent = 0;
    await runBatch(options.cases - options.warmup);
    report.memoryMiB.atEnd = await memoryMiB(gc);
    report.bytesAfterWarmup = bytesSent;
    const live = await client.unary('/inference.GRPCInferenceService/ServerLive', Buffer.alloc(0));
    report.serverLiveAtEnd = live.ok && live.body.equals(Buffer.from([0x08, 0x01]));
  } finally {
    client.close();
  }
  return report;
}

/** The report as a table: one row per case kind, one column per outcome. */
export function formatReport(report: FuzzReport): string {
  const outcomes = [...new Set(Object.values(report.outcomes).flatMap((o) => Object.keys(o)))].sort();
  const rows = Object.entries(report.outcomes).sort(([a], [b]) => a.localeCompare(b));
  const line = (cells: string[]) => `| ${cells.join(' | ')} |`;
  return [
    line(['case kind', ...outcomes]),
    line(['---', ...outcomes.map(() => '---:')]),
    ...rows.map(([kind, o]) => line([kind, ...outcomes.map((k) => String(o[k] ?? 0))])),
    '',
    `cases ${report.cases}, failures ${report.failures.length}, server live at end: ${report.serverLiveAtEnd}, ` +
      `heap+arrayBuffers after GC: ${report.memoryMiB.afterWarmup.toFixed(1)} MiB after warm-up → ${report.memoryMiB.atEnd.toFixed(1)} MiB at end ` +
      `(${(report.bytesAfterWarmup / 2 ** 20).toFixed(1)} MiB of requests sent after the warm-up)`,
  ].join('\n');
}

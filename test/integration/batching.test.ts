// Dynamic batching, deadlines, cancellation and backpressure against a real server: many concurrent clients
// (ts-proto and proto-loader) each get exactly their own rows; a cancelled client leaves its batch undisturbed;
// gRPC deadlines and cancels while queued and while running; max_queue_size and --max-inflight-bytes rejections;
// ModelStatistics shows fewer executions than inferences once batching happened.

import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import * as grpc from '@grpc/grpc-js';
import type { InferdServer } from '../../src/server';
import type { ModelInferRequest, ModelInferResponse, ModelStatisticsResponse } from '../../generated/inference/grpc_service';
import { call, callError, FIXTURES_DIR, int32Bytes, int32Values, MODELS_DIR, protoLoaderClient, startServer, tempRepository, tsProtoClient } from '../support/server';

const SIMPLE_BATCHED = `name: "simple_batched"
max_batch_size: 8
dynamic_batching { preferred_batch_size: [ 8 ] max_queue_delay_microseconds: 200000 }
`;
const SLOW_ECHO = `max_batch_size: 512
dynamic_batching { }
`;
const SLOW_BOUNDED = `max_batch_size: 512
dynamic_batching { default_queue_policy { max_queue_size: 1 } }
`;

// One request fills a batch (max_batch_size 512 = the request's rows), so queued requests run one by one, in
// priority order; queue timeouts may be overridden per request.
const SLOW_PRIORITY = `max_batch_size: 512
dynamic_batching {
  priority_levels: 2
  default_priority_level: 2
  default_queue_policy { allow_timeout_override: true }
}
`;

let server: InferdServer;
let gen: grpc.Client;
let pl: grpc.Client;

async function repository(): Promise<string> {
  const repo = await tempRepository({
    simple_batched: path.join(MODELS_DIR, 'simple'),
    slow_echo: path.join(FIXTURES_DIR, 'slow_echo'),
    slow_bounded: path.join(FIXTURES_DIR, 'slow_echo'),
    slow_priority: path.join(FIXTURES_DIR, 'slow_echo'),
  });
  await fs.writeFile(path.join(repo, 'slow_priority/config.pbtxt'), SLOW_PRIORITY);
  await fs.writeFile(path.join(repo, 'simple_batched/config.pbtxt'), SIMPLE_BATCHED);
  await fs.writeFile(path.join(repo, 'slow_echo/config.pbtxt'), SLOW_ECHO);
  await fs.writeFile(path.join(repo, 'slow_bounded/config.pbtxt'), SLOW_BOUNDED);
  return repo;
}

beforeAll(async () => {
  server = await startServer({ modelRepository: await repository() });
  gen = tsProtoClient(server.address);
  pl = protoLoaderClient(server.address);
});

afterAll(async () => {
  gen.close();
  pl.close();
  await server.stop();
});

/** slow_echo request of `rows` rows; element j of row r is tag * 1000 + r. */
function slowRequest(model: string, rows: number, tag: number): ModelInferRequest {
  const data = new Float32Array(rows * 256);
  for (let r = 0; r < rows; r++) data.fill(tag * 1000 + r, r * 256, (r + 1) * 256);
  return {
    modelName: model,
    modelVersion: '',
    id: `t${tag}`,
    parameters: {},
    inputs: [{ name: 'INPUT', datatype: 'FP32', shape: [BigInt(rows), 256n], parameters: {}, contents: undefined }],
    outputs: [],
    rawInputContents: [Buffer.from(data.buffer)],
  };
}

function echoOf(res: ModelInferResponse): number[] {
  const at = res.outputs.findIndex((o) => o.name === 'ECHO');
  const b = res.rawOutputContents[at];
  return Array.from(new Float32Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength)));
}

function expectEcho(res: ModelInferResponse, rows: number, tag: number): void {
  expect(res.outputs.find((o) => o.name === 'ECHO')?.shape).toEqual([BigInt(rows), 256n]);
  const echo = echoOf(res);
  for (let r = 0; r < rows; r++) expect(echo[r * 256]).toBe(tag * 1000 + r);
  expect(new Set(echo).size).toBe(rows);
}

/** Starts a ts-proto ModelInfer and returns the call (to cancel) and its outcome. */
function start(req: ModelInferRequest, options: Partial<grpc.CallOptions> = {}) {
  let callObj!: grpc.ClientUnaryCall;
  const result = new Promise<ModelInferResponse>((resolve, reject) => {
    callObj = (gen as unknown as {
      modelInfer(r: ModelInferRequest, m: grpc.Metadata, o: Partial<grpc.CallOptions>, cb: (e: grpc.ServiceError | null, r: ModelInferResponse) => void): grpc.ClientUnaryCall;
    }).modelInfer(req, new grpc.Metadata(), options, (e, r) => (e ? reject(e) : resolve(r)));
  });
  const settled = result.then(
    (value) => ({ value, error: null as grpc.ServiceError | null }),
    (error: grpc.ServiceError) => ({ value: null as ModelInferResponse | null, error }),
  );
  return { call: callObj, settled };
}

/** Waits until the server's scheduler for `model` holds `n` requests (queued + running). */
async function pendingAt(srv: InferdServer, model: string, n: number): Promise<void> {
  const scheduler = srv.repository.resolve(model, '').serving!.scheduler;
  const end = Date.now() + 10_000;
  while (scheduler.pending < n) {
    if (Date.now() > end) throw new Error(`${model}: ${scheduler.pending} requests pending after 10 s, expected ${n} (did an earlier run finish first?)`);
    await new Promise((r) => setTimeout(r, 2));
  }
}

async function stats(model: string) {
  const res = await call<ModelStatisticsResponse>(gen, 'modelStatistics', { name: model, version: '' });
  return res.modelStats[0];
}

test('64 concurrent clients of two kinds with different inputs and batch sizes each get exactly their own rows', async () => {
  const before = await stats('simple_batched');
  const jobs = Array.from({ length: 64 }, async (_, k) => {
    const rows = 1 + (k % 3);
    const a = Array.from({ length: rows * 16 }, (_, i) => k * 1000 + i);
    const b = Array.from({ length: rows * 16 }, (_, i) => k - i);
    const sum = a.map((x, i) => x + b[i]);
    const diff = a.map((x, i) => x - b[i]);
    if (k % 2 === 0) {
      const res = await call<ModelInferResponse>(gen, 'modelInfer', {
        modelName: 'simple_batched',
        modelVersion: '',
        id: `gen${k}`,
        parameters: {},
        inputs: ['INPUT0', 'INPUT1'].map((name) => ({ name, datatype: 'INT32', shape: [BigInt(rows), 16n], parameters: {} })),
        outputs: [],
        rawInputContents: [int32Bytes(a), int32Bytes(b)],
      });
      expect(res.id).toBe(`gen${k}`);
      expect(res.outputs.map((o) => o.shape)).toEqual([[BigInt(rows), 16n], [BigInt(rows), 16n]]);
      expect(int32Values(res.rawOutputContents[0])).toEqual(sum);
      expect(int32Values(res.rawOutputContents[1])).toEqual(diff);
    } else {
      const res = await call<{ id: string; outputs: Array<{ name: string; shape: string[] }>; raw_output_contents: Buffer[] }>(pl, 'ModelInfer', {
        model_name: 'simple_batched',
        id: `pl${k}`,
        inputs: ['INPUT0', 'INPUT1'].map((name) => ({ name, datatype: 'INT32', shape: [rows, 16] })),
        outputs: [{ name: 'OUTPUT1' }],
        raw_input_contents: [int32Bytes(a), int32Bytes(b)],
      });
      expect(res.id).toBe(`pl${k}`);
      expect(res.outputs.map((o) => [o.name, o.shape])).toEqual([['OUTPUT1', [String(rows), '16']]]);
      expect(int32Values(res.raw_output_contents[0])).toEqual(diff);
    }
  });
  await Promise.all(jobs);
  const after = await stats('simple_batched');
  const inferences = Number(after.inferenceCount - before.inferenceCount);
  const executions = Number(after.executionCount - before.executionCount);
  expect(inferences).toBe(22 * 1 + 21 * 2 + 21 * 3); // k % 3 gives 22 one-row, 21 two-row, 21 three-row requests
  expect(executions).toBeLessThan(inferences);
  expect(after.batchStats.some((b) => b.batchSize > 1n)).toBe(true);
});

test('a client cancelled while its batch runs gets CANCELLED; the others in that batch get their own rows', async () => {
  const before = await stats('slow_echo');
  const occupier = start(slowRequest('slow_echo', 256, 1));
  await pendingAt(server, 'slow_echo', 1);
  const b = start(slowRequest('slow_echo', 128, 2));
  const c = start(slowRequest('slow_echo', 128, 3));
  const d = start(slowRequest('slow_echo', 128, 4));
  await pendingAt(server, 'slow_echo', 4);
  const first = await occupier.settled;
  expect(first.error).toBeNull();
  // B, C and D queued behind the occupier and were dispatched together when it finished (before its answer).
  c.call.cancel();
  const [rb, rc, rd] = await Promise.all([b.settled, c.settled, d.settled]);
  expect(rc.error?.code).toBe(grpc.status.CANCELLED);
  expectEcho(rb.value as ModelInferResponse, 128, 2);
  expectEcho(rd.value as ModelInferResponse, 128, 4);
  const after = await stats('slow_echo');
  expect(Number(after.executionCount - before.executionCount)).toBe(2);
  expect(after.batchStats.map((s) => Number(s.batchSize))).toContain(384);
});

test('a gRPC deadline passing while the request is queued answers DEADLINE_EXCEEDED and the request never runs', async () => {
  const before = await stats('slow_echo');
  // 512 rows keep the instance busy for about 150 ms on a quiet machine (more under load); the others queue behind it.
  const occupier = start(slowRequest('slow_echo', 512, 1));
  await pendingAt(server, 'slow_echo', 1);
  const late = start(slowRequest('slow_echo', 128, 5), { deadline: Date.now() + 60 });
  const cancelled = start(slowRequest('slow_echo', 64, 6));
  await pendingAt(server, 'slow_echo', 3);
  cancelled.call.cancel();
  expect((await cancelled.settled).error?.code).toBe(grpc.status.CANCELLED);
  expect((await late.settled).error?.code).toBe(grpc.status.DEADLINE_EXCEEDED);
  expect((await occupier.settled).error).toBeNull();
  const after = await stats('slow_echo');
  expect(Number(after.inferenceCount - before.inferenceCount)).toBe(512);
  expect(Number(after.inferenceStats?.fail?.count) - Number(before.inferenceStats?.fail?.count)).toBe(2);
});

test('a gRPC deadline passing while the request runs answers DEADLINE_EXCEEDED; the instance serves the next call', async () => {
  const running = start(slowRequest('slow_echo', 256, 7), { deadline: Date.now() + 50 });
  expect((await running.settled).error?.code).toBe(grpc.status.DEADLINE_EXCEEDED);
  const next = await start(slowRequest('slow_echo', 2, 8), { deadline: Date.now() + 60_000 }).settled;
  expectEcho(next.value as ModelInferResponse, 2, 8);
});

test('past max_queue_size the call fails at once with RESOURCE_EXHAUSTED naming the limit', async () => {
  // The longest run the model takes (512 rows, a full batch): the two calls below must reach the server while it runs.
  const occupier = start(slowRequest('slow_bounded', 512, 1));
  await pendingAt(server, 'slow_bounded', 1);
  const queued = start(slowRequest('slow_bounded', 1, 2));
  await pendingAt(server, 'slow_bounded', 2);
  const err = await callError(gen, 'modelInfer', slowRequest('slow_bounded', 1, 3));
  expect(err.code).toBe(grpc.status.RESOURCE_EXHAUSTED);
  expect(err.details).toBe("model 'slow_bounded' version 1: the queue is full (max_queue_size 1)");
  expect((await occupier.settled).error).toBeNull();
  expectEcho((await queued.settled).value as ModelInferResponse, 1, 2);
});

test('past --max-inflight-bytes the call fails at once with RESOURCE_EXHAUSTED naming the limit', async () => {
  const small = await startServer({ modelRepository: await repository(), maxInflightBytes: 300_000 });
  const client = tsProtoClient(small.address);
  try {
    const big = slowRequest('slow_echo', 256, 1); // 262,144 bytes
    const first = new Promise<ModelInferResponse>((resolve, reject) =>
      (client as unknown as { modelInfer(r: ModelInferRequest, cb: (e: Error | null, r: ModelInferResponse) => void): void }).modelInfer(big, (e, r) => (e ? reject(e) : resolve(r))),
    );
    await pendingAt(small, 'slow_echo', 1);
    const err = await callError(client, 'modelInfer', slowRequest('slow_echo', 64, 2)); // 65,536 more
    expect(err.code).toBe(grpc.status.RESOURCE_EXHAUSTED);
    expect(err.details).toBe(
      "model 'slow_echo' version 1: server in-flight request bytes limit (--max-inflight-bytes 300000) reached: 262144 bytes in flight, this request needs 65536",
    );
    expectEcho(await first, 256, 1);
    const after = await call<ModelInferResponse>(client, 'modelInfer', slowRequest('slow_echo', 64, 3));
    expectEcho(after, 64, 3);
  } finally {
    client.close();
    await small.stop();
  }
});

test('the `priority` request parameter over gRPC: a later high-priority request runs before an earlier low one', async () => {
  const order: number[] = [];
  const track = (tag: number, req: ModelInferRequest) => {
    const s = start(req);
    void s.settled.then(() => order.push(tag));
    return s;
  };
  const withPriority = (req: ModelInferRequest, priority: bigint): ModelInferRequest => ({
    ...req,
    parameters: { priority: { uint64Param: priority } },
  });
  const occupier = track(1, slowRequest('slow_priority', 512, 1));
  await pendingAt(server, 'slow_priority', 1);
  const low = track(2, withPriority(slowRequest('slow_priority', 512, 2), 2n));
  await pendingAt(server, 'slow_priority', 2);
  const high = track(3, withPriority(slowRequest('slow_priority', 512, 3), 1n));
  await pendingAt(server, 'slow_priority', 3);
  const results = await Promise.all([occupier.settled, low.settled, high.settled]);
  expect(results.map((r) => r.error)).toEqual([null, null, null]);
  expect(order).toEqual([1, 3, 2]);
});

test('the `timeout` request parameter over gRPC: a request queued past its timeout gets DEADLINE_EXCEEDED', async () => {
  const occupier = start(slowRequest('slow_priority', 512, 1));
  await pendingAt(server, 'slow_priority', 1);
  const late = start({ ...slowRequest('slow_priority', 512, 2), parameters: { timeout: { int64Param: 1000n } } });
  const [first, second] = await Promise.all([occupier.settled, late.settled]);
  expect(first.error).toBeNull();
  expect(second.error?.code).toBe(grpc.status.DEADLINE_EXCEEDED);
  expect(second.error?.details).toMatch(/model 'slow_priority' version 1: request timed out in the queue/);
});

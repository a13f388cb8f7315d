// A model worker thread that dies mid-request: the call fails with UNAVAILABLE in bounded time (never hangs),
// the instance is replaced, and the next call succeeds. The worker dies the way a real one does: its JS heap
// (capped by the model's worker_heap_limit_mb parameter) runs out while it takes in an oversized string request.

import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import * as grpc from '@grpc/grpc-js';
import type { InferdServer } from '../../src/server';
import type { ModelInferResponse } from '../../generated/inference/grpc_service';
import { call, callError, MODELS_DIR, startServer, tempRepository, tsProtoClient } from '../support/server';

let server: InferdServer;
let client: grpc.Client;

beforeAll(async () => {
  const repo = await tempRepository({ simple_string: path.join(MODELS_DIR, 'simple_string') });
  await fs.appendFile(
    path.join(repo, 'simple_string/config.pbtxt'),
    '\nparameters { key: "worker_heap_limit_mb" value: { string_value: "24" } }\n',
  );
  server = await startServer({ modelRepository: repo });
  client = tsProtoClient(server.address);
});

afterAll(async () => {
  client.close();
  await server.stop();
});

const bytesTensor = (values: string[]) =>
  Buffer.concat(values.flatMap((v) => [Buffer.from(new Uint32Array([Buffer.byteLength(v)]).buffer), Buffer.from(v)]));

const request = (batch: number, element: string) => ({
  modelName: 'simple_string',
  modelVersion: '',
  id: `b${batch}`,
  parameters: {},
  inputs: ['INPUT0', 'INPUT1'].map((name) => ({ name, datatype: 'BYTES', shape: [BigInt(batch), 16n], parameters: {} })),
  outputs: [],
  rawInputContents: [bytesTensor(Array(batch * 16).fill(element)), bytesTensor(Array(batch * 16).fill('1'))],
});

async function until(cond: () => boolean, timeoutMs: number): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 5));
  }
}

test('a worker that dies mid-request fails that call with UNAVAILABLE; the pool replaces it; the next call succeeds', async () => {
  const pool = server.repository.resolve('simple_string', '').serving!.pool;
  const [instance] = pool.list();
  // 128 distinct 400 KB strings (≈ 50 MB of JS strings) cannot fit in a 24 MB heap.
  const huge = request(8, '7'.repeat(400_000));
  const started = Date.now();
  const err = await callError(client, 'modelInfer', huge, { deadline: Date.now() + 60_000 });
  expect(err.code).toBe(grpc.status.UNAVAILABLE);
  expect(err.details).toMatch(/model 'simple_string' version 1 instance 0 \(cpu\): worker thread (failed|exited).* while running the request/);
  expect(Date.now() - started).toBeLessThan(30_000);
  expect(instance.alive).toBe(false);

  await until(() => pool.size === 1 && pool.list()[0] !== instance, 15_000);
  expect(pool.respawns).toBe(1);
  const res = await call<ModelInferResponse>(client, 'modelInfer', request(1, '20'));
  const out = res.rawOutputContents[0];
  expect(out.subarray(0, 6)).toEqual(Buffer.from([2, 0, 0, 0, 0x32, 0x31]));
});

// Worker threads that die mid-request. They die the way a real one does: the JS heap (capped by the model's
// worker_heap_limit_mb parameter) runs out while the worker takes in an oversized string request.
// - The request that kills its worker is retried once (idempotent model), kills a second one, and fails
//   UNAVAILABLE saying so; a model with idempotent=false is not retried. The pool is replaced each time.
// - Under continuous load from several clients, workers killed while other requests are queued on them: no call
//   hangs, the requests caught in the crash are retried and succeed, the pool is back to full size.
// - Repeated crashes (max_worker_restarts) mark the version UNAVAILABLE with a crash-loop reason, visible in
//   RepositoryIndex, and requests fail fast instead of the pool respawning forever.

import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import * as grpc from '@grpc/grpc-js';
import type { InferdServer } from '../../src/server';
import { WorkerCrashError } from '../../src/runtime/worker-crash-error';
import { batchInput, type BatchInput } from '../../src/tensor/batch';
import type { ModelInferResponse, RepositoryIndexResponse } from '../../generated/inference/grpc_service';
import { LoadGenerator, until } from '../support/load';
import { call, callError, MODELS_DIR, startServer, tempRepository, tsProtoClient } from '../support/server';

// Worker crashes, model loads and child processes take a while on a busy machine; this is slack, not a check.
jest.setTimeout(300_000);

let server: InferdServer;
let client: grpc.Client;

const PARAMS = (extra: Record<string, string>) =>
  Object.entries({ worker_heap_limit_mb: '24', ...extra })
    .map(([k, v]) => `parameters { key: "${k}" value: { string_value: "${v}" } }`)
    .join('\n');

beforeAll(async () => {
  const source = path.join(MODELS_DIR, 'simple_string');
  const repo = await tempRepository({ strings: source, strings_once: source, strings_pool: source, strings_loop: source });
  const models: Record<string, string> = {
    strings: PARAMS({}),
    strings_once: PARAMS({ idempotent: 'false' }),
    strings_pool: `${PARAMS({})}\ninstance_group { kind: KIND_CPU count: 2 }`,
    strings_loop: PARAMS({ max_worker_restarts: '2', worker_restart_window_secs: '600' }),
  };
  for (const [name, extra] of Object.entries(models)) {
    const file = path.join(repo, name, 'config.pbtxt');
    const text = (await fs.readFile(file, 'utf8')).replace('name: "simple_string"', `name: "${name}"`);
    await fs.writeFile(file, `${text}\n${extra}\n`);
  }
  server = await startServer({ modelRepository: repo });
  client = tsProtoClient(server.address);
});

afterAll(async () => {
  client.close();
  await server.stop();
});

const bytesTensor = (values: string[]) =>
  Buffer.concat(values.flatMap((v) => [Buffer.from(new Uint32Array([Buffer.byteLength(v)]).buffer), Buffer.from(v)]));

const request = (model: string, batch: number, element: string, id = '') => ({
  modelName: model,
  modelVersion: '',
  id,
  parameters: {},
  inputs: ['INPUT0', 'INPUT1'].map((name) => ({ name, datatype: 'BYTES', shape: [BigInt(batch), 16n], parameters: {} })),
  outputs: [],
  rawInputContents: [bytesTensor(Array(batch * 16).fill(element)), bytesTensor(Array(batch * 16).fill('1'))],
});

/** 128 distinct 400 KB strings (≈ 50 MB of JS strings) cannot fit in a 24 MB worker heap. */
const POISON_ELEMENT = '7'.repeat(400_000);
const poisonTensors = (): BatchInput[] =>
  ['INPUT0', 'INPUT1'].map((name) =>
    batchInput([{ name, datatype: 'BYTES', shape: [8, 16], data: Array.from({ length: 128 }, () => Buffer.from(POISON_ELEMENT)) }]),
  );

const pool = (model: string) => server.repository.resolve(model, '').serving!.pool;

test('the request that kills its worker is retried once, then fails UNAVAILABLE; the pool is replaced', async () => {
  const p = pool('strings');
  const [instance] = p.list();
  const err = await callError(client, 'modelInfer', request('strings', 8, POISON_ELEMENT), { deadline: Date.now() + 120_000 });
  expect(err.code).toBe(grpc.status.UNAVAILABLE);
  expect(err.details).toMatch(
    /model 'strings' version 1 instance 0 \(cpu\): worker thread (failed|exited).* while running the request \(the request was retried once after a first crash: .*worker thread/,
  );
  expect(instance.alive).toBe(false);
  await until(() => p.size === 1 && p.respawns === 2, 120_000, 'pool replaced twice');
  expect(server.repository.resolve('strings', '').crashRetries).toBe(1);
  const res = await call<ModelInferResponse>(client, 'modelInfer', request('strings', 1, '20'));
  expect(res.rawOutputContents[0].subarray(0, 6)).toEqual(Buffer.from([2, 0, 0, 0, 0x32, 0x31]));
});

test('a model with idempotent=false is not retried: its request fails UNAVAILABLE after one crash', async () => {
  const p = pool('strings_once');
  const err = await callError(client, 'modelInfer', request('strings_once', 8, POISON_ELEMENT), { deadline: Date.now() + 120_000 });
  expect(err.code).toBe(grpc.status.UNAVAILABLE);
  expect(err.details).toMatch(/while running the request \(not retried: the model's 'idempotent' parameter is false\)/);
  await until(() => p.size === 1, 120_000, 'pool replaced');
  expect(p.respawns).toBe(1);
  expect(server.repository.resolve('strings_once', '').crashRetries).toBe(0);
});

test('workers killed under load from several clients: no call hangs, caught requests are retried and succeed', async () => {
  const p = pool('strings_pool');
  const mv = server.repository.resolve('strings_pool', '');
  const clients = Array.from({ length: 4 }, () => tsProtoClient(server.address));
  const load = new LoadGenerator(
    clients,
    (c, seq) => request('strings_pool', 1, String(seq), `${c}-${seq}`),
    (res, seq) => {
      // simple_string adds the numbers its strings spell: every element of OUTPUT0 is String(seq + 1).
      const out = (res as ModelInferResponse).rawOutputContents[0];
      const first = out.subarray(4, 4 + out.readUInt32LE(0)).toString();
      return first === String(seq + 1) ? '' : `OUTPUT0[0] '${first}' != '${seq + 1}'`;
    },
  );
  await load.waitFor(20);
  const kills = 3;
  for (let k = 0; k < kills; k++) {
    const victim = p.list()[0];
    // Sent straight to the instance while the scheduler keeps dispatching to it: the requests queued behind the
    // poison on that worker are in flight when it dies.
    await expect(victim.run(poisonTensors(), ['OUTPUT0'])).rejects.toBeInstanceOf(WorkerCrashError);
    await until(() => p.size === 2 && p.list().every((i) => i.alive), 120_000, 'pool back to full size');
    await load.waitFor(10);
  }
  const counts = await load.stop();
  for (const c of clients) c.close();
  console.log(
    `worker kills under load (4 clients, ${kills} kills): sent ${counts.sent}, succeeded ${counts.succeeded}, ` +
      `failed ${counts.failed}; requests retried after a crash: ${mv.crashRetries}; respawns: ${p.respawns}`,
  );
  expect(load.errors()).toEqual([]);
  expect(counts.failed).toBe(0);
  expect(p.respawns).toBe(kills);
  expect(p.size).toBe(2);
  expect(mv.crashRetries).toBeGreaterThanOrEqual(1);
});

test('a crash loop marks the version UNAVAILABLE with the reason instead of respawning forever', async () => {
  const p = pool('strings_loop');
  // Two crashes (request + its retry) are within max_worker_restarts 2; the third crash is one too many.
  await callError(client, 'modelInfer', request('strings_loop', 8, POISON_ELEMENT), { deadline: Date.now() + 120_000 });
  await until(() => p.size === 1 && p.respawns === 2, 120_000, 'pool replaced twice');
  const err = await callError(client, 'modelInfer', request('strings_loop', 8, POISON_ELEMENT), { deadline: Date.now() + 120_000 });
  expect(err.code).toBe(grpc.status.UNAVAILABLE);
  const index = await call<RepositoryIndexResponse>(client, 'repositoryIndex', { repositoryName: '', ready: false });
  expect(index.models.find((m) => m.name === 'strings_loop')).toEqual({
    name: 'strings_loop',
    version: '1',
    state: 'UNAVAILABLE',
    reason: expect.stringMatching(/^crash loop: worker threads died 3 times within 600 s \(max_worker_restarts 2\); not restarting them; last: worker thread/),
  });
  expect(p.respawns).toBe(2);
  const next = await callError(client, 'modelInfer', request('strings_loop', 1, '5'));
  expect(next.code).toBe(grpc.status.UNAVAILABLE);
  expect(next.details).toMatch(/crash loop/);
});

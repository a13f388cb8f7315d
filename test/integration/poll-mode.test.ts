// Poll mode under continuous load from several clients (ts-proto and proto-loader): a new version folder takes
// the traffic with zero failed requests; a corrupt newer version fails to load while the current one keeps
// serving with the reason in RepositoryIndex; a rollback through RepositoryModelLoad's `config` parameter moves
// traffic back; an edited config.pbtxt is applied; a removed folder unloads the model. Counts are printed.

import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import type * as grpc from '@grpc/grpc-js';
import type { InferdServer } from '../../src/server';
import type { ModelConfigResponse, RepositoryIndexResponse } from '../../generated/inference/grpc_service';
import { LoadGenerator, until } from '../support/load';
import { call, callError, FIXTURES_DIR, MODELS_DIR, protoLoaderClient, startServer, tempRepository, tsProtoClient } from '../support/server';
import { checkSimple, simpleRequest, simpleRequestSnake } from '../support/simple-model';

// Worker crashes, model loads and child processes take a while on a busy machine; this is slack, not a check.
jest.setTimeout(300_000);

let server: InferdServer;
let repo: string;
let clients: grpc.Client[];

beforeAll(async () => {
  repo = await tempRepository({ simple: path.join(MODELS_DIR, 'simple'), mlp: path.join(MODELS_DIR, 'mlp') });
  server = await startServer({ modelRepository: repo, modelControlMode: 'poll', repositoryPollSecs: 0.2 });
  clients = [tsProtoClient(server.address), tsProtoClient(server.address), tsProtoClient(server.address), protoLoaderClient(server.address)];
});

afterAll(async () => {
  for (const c of clients) c.close();
  await server.stop();
});

async function index() {
  return (await call<RepositoryIndexResponse>(clients[0], 'repositoryIndex', { repositoryName: '', ready: false })).models;
}

/** Adds a version folder atomically (copied under a non-numeric name, then renamed). */
async function addVersion(model: string, version: number, modelFile: string): Promise<void> {
  const staging = path.join(repo, model, `staging-${version}`);
  await fs.mkdir(staging);
  await fs.copyFile(modelFile, path.join(staging, 'model.onnx'));
  await fs.rename(staging, path.join(repo, model, String(version)));
}

const startLoad = () =>
  new LoadGenerator(
    clients,
    (c, seq) => (c === 3 ? simpleRequestSnake(seq) : simpleRequest(seq)),
    (res, seq) => checkSimple(seq, res),
  );

test('poll mode under load: new version, corrupt version, rollback — zero failed requests', async () => {
  const load = startLoad();
  await load.waitFor(40);
  expect(load.counts().byVersion).toEqual({ 1: expect.any(Number) });

  // 1. A new version: loaded and ready before version 1 stops; traffic moves to it.
  await addVersion('simple', 2, path.join(MODELS_DIR, 'simple/1/model.onnx'));
  await until(async () => (await index()).some((m) => m.name === 'simple' && m.version === '2' && m.state === 'READY'), 120_000, 'v2 ready');
  await until(async () => !(await index()).some((m) => m.name === 'simple' && m.version === '1'), 120_000, 'v1 retired');
  const movedAt = Date.now();
  await load.waitFor(40);
  const afterMove = load.counts(movedAt);
  expect(afterMove.byVersion).toEqual({ 2: afterMove.succeeded });

  // 2. A corrupt newer version: fails to load, version 2 keeps serving, the reason is in the index.
  await addVersion('simple', 3, path.join(FIXTURES_DIR, 'corrupt/model.onnx'));
  await until(async () => (await index()).some((m) => m.name === 'simple' && m.version === '3' && m.state === 'UNAVAILABLE'), 120_000, 'v3 failed');
  const rows = (await index()).filter((m) => m.name === 'simple');
  expect(rows).toEqual([
    { name: 'simple', version: '2', state: 'READY', reason: '' },
    { name: 'simple', version: '3', state: 'UNAVAILABLE', reason: expect.stringMatching(/model 'simple' version 3 instance 0.*(protobuf|parse|load|model)/i) },
  ]);
  const corruptAt = Date.now();
  await load.waitFor(40);
  const afterCorrupt = load.counts(corruptAt);
  expect(afterCorrupt.byVersion).toEqual({ 2: afterCorrupt.succeeded });

  // 3. Rollback to version 1: RepositoryModelLoad with a version policy override; traffic returns to version 1.
  await call(clients[0], 'repositoryModelLoad', {
    repositoryName: '',
    modelName: 'simple',
    parameters: { config: { stringParam: '{"version_policy":{"specific":{"versions":[1]}}}' } },
  });
  const rolledBackAt = Date.now();
  await load.waitFor(40);
  const afterRollback = load.counts(rolledBackAt);
  expect(afterRollback.byVersion).toEqual({ 1: afterRollback.succeeded });
  expect((await index()).filter((m) => m.name === 'simple')).toEqual([{ name: 'simple', version: '1', state: 'READY', reason: '' }]);

  const total = await load.stop();
  console.log(`poll mode under load (4 clients): sent ${total.sent}, succeeded ${total.succeeded}, failed ${total.failed}; ` +
    `by version ${JSON.stringify(total.byVersion)}; after v2 appeared ${JSON.stringify(afterMove)}; ` +
    `after corrupt v3 ${JSON.stringify(afterCorrupt)}; after rollback ${JSON.stringify(afterRollback)}`);
  expect(load.errors()).toEqual([]);
  expect(total.failed).toBe(0);
});

test('an unchanged version is kept as the same object across reloads; a changed config.pbtxt reloads it', async () => {
  const before = server.repository.resolve('mlp', '1');
  await server.poller!.pollOnce();
  expect(server.repository.resolve('mlp', '1')).toBe(before);
  await server.repository.load('mlp');
  expect(server.repository.resolve('mlp', '1')).toBe(before);

  const configPath = path.join(repo, 'mlp/config.pbtxt');
  const text = await fs.readFile(configPath, 'utf8');
  await fs.writeFile(configPath, text.replace('max_batch_size: 8', 'max_batch_size: 4'));
  await until(() => server.repository.resolve('mlp', '1') !== before, 120_000, 'mlp reloaded');
  const res = await call<ModelConfigResponse>(clients[0], 'modelConfig', { name: 'mlp', version: '' });
  expect(res.config?.maxBatchSize).toBe(4);
  await until(() => before.state === 'UNAVAILABLE', 120_000, 'old mlp retired');
  expect(before.reason).toBe('replaced by a reload');
});

test('a broken config.pbtxt leaves the model serving with the reason; a removed folder unloads it', async () => {
  const serving = server.repository.resolve('mlp', '1');
  await fs.writeFile(path.join(repo, 'mlp/config.pbtxt'), 'max_batch_size: "four"\n');
  await until(async () => (await index()).some((m) => m.name === 'mlp' && m.reason.includes('reload failed')), 120_000, 'reload failure reported');
  const row = (await index()).find((m) => m.name === 'mlp');
  expect(row).toEqual({ name: 'mlp', version: '1', state: 'READY', reason: expect.stringMatching(/reload failed, still serving the previous files: .*max_batch_size/) });
  expect(server.repository.resolve('mlp', '')).toBe(serving);

  await fs.rm(path.join(repo, 'mlp'), { recursive: true });
  await until(async () => !(await index()).some((m) => m.name === 'mlp' && m.state === 'READY'), 120_000, 'mlp unloaded');
  expect(await call(clients[0], 'modelReady', { name: 'mlp', version: '' })).toEqual({ ready: false });
  const err = await callError(clients[0], 'modelInfer', { ...simpleRequest(0), modelName: 'mlp' });
  expect(err.details).toMatch(/model 'mlp' has no ready version: unloaded/);
});

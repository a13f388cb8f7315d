// Traffic-split aliases (<repo>/<alias>/split.pbtxt): 2,000 requests over a 90/10 split land within a
// statistical bound of the weights; sticky keys (request parameter or gRPC metadata) keep each caller on one arm;
// responses name the model and version that answered and the alias; weights change by RPC and by editing the file
// (poll mode) without a restart; an arm that is not ready gets no traffic.

import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import * as grpc from '@grpc/grpc-js';
import type { InferdServer } from '../../src/server';
import type { ModelInferResponse, RepositoryIndexResponse } from '../../generated/inference/grpc_service';
import { LoadGenerator, until } from '../support/load';
import { call, callError, MODELS_DIR, startServer, tempRepository, tsProtoClient } from '../support/server';
import { checkSimple, simpleRequest } from '../support/simple-model';

// Worker crashes, model loads and child processes take a while on a busy machine; this is slack, not a check.
jest.setTimeout(300_000);

let server: InferdServer;
let repo: string;
let clients: grpc.Client[];

const split = (w1: number, w2: number, sticky = '') =>
  `${sticky ? `sticky_key: "${sticky}"\n` : ''}arm { model: "simple" version: 1 weight: ${w1} }\narm { model: "simple" version: 2 weight: ${w2} }\n`;

beforeAll(async () => {
  repo = await tempRepository({ simple: path.join(MODELS_DIR, 'simple') });
  await fs.cp(path.join(repo, 'simple/1'), path.join(repo, 'simple/2'), { recursive: true });
  await fs.appendFile(path.join(repo, 'simple/config.pbtxt'), '\nversion_policy: { all: {} }\n');
  for (const [alias, text] of Object.entries({ canary: split(90, 10), sticky: split(50, 50, 'user') })) {
    await fs.mkdir(path.join(repo, alias));
    await fs.writeFile(path.join(repo, alias, 'split.pbtxt'), text);
  }
  server = await startServer({ modelRepository: repo, modelControlMode: 'poll', repositoryPollSecs: 0.2 });
  clients = Array.from({ length: 4 }, () => tsProtoClient(server.address));
});

afterAll(async () => {
  for (const c of clients) c.close();
  await server.stop();
});

async function sendMany(n: number, build: (seq: number) => unknown, metadata?: (seq: number) => grpc.Metadata) {
  const versions: string[] = new Array(n);
  let next = 0;
  await Promise.all(
    clients.map(async (client) => {
      for (let seq = next++; seq < n; seq = next++) {
        const res = await call<ModelInferResponse>(client, 'modelInfer', build(seq), {}, metadata?.(seq) ?? new grpc.Metadata());
        expect(checkSimple(seq, res)).toBe('');
        expect(res.modelName).toBe('simple');
        versions[seq] = res.modelVersion;
      }
    }),
  );
  return versions;
}

test('2,000 requests over a 90/10 split land within a statistical bound; responses name model, version, alias', async () => {
  const n = 2000;
  const res = await call<ModelInferResponse>(clients[0], 'modelInfer', simpleRequest(0, 'canary'));
  expect(res.parameters).toEqual({ alias: { stringParam: 'canary' } });
  const versions = await sendMany(n, (seq) => simpleRequest(seq, 'canary'));
  const canary = versions.filter((v) => v === '2').length;
  const stable = versions.filter((v) => v === '1').length;
  // Binomial(2000, 0.1): mean 200, sd 13.4; ±5 sd fails a correct server about once in 3 million runs.
  console.log(`traffic split 90/10: sent ${n}, succeeded ${canary + stable}, failed ${n - canary - stable}; v1 ${stable}, v2 ${canary}`);
  expect(canary + stable).toBe(n);
  expect(canary).toBeGreaterThanOrEqual(133);
  expect(canary).toBeLessThanOrEqual(267);
  const stats = await call<{ modelStats: Array<{ version: string; inferenceStats?: { success?: { count: number } } }> }>(
    clients[0], 'modelStatistics', { name: 'simple', version: '2' });
  expect(Number(stats.modelStats[0].inferenceStats?.success?.count)).toBeGreaterThanOrEqual(canary);
});

test('sticky keys keep each caller on one arm (request parameter and gRPC metadata)', async () => {
  const users = 60;
  const perUser = 5;
  const byParam = await sendMany(users * perUser, (seq) => simpleRequest(seq, 'sticky', '', { user: { stringParam: `u${seq % users}` } }));
  const byHeader = await sendMany(users * perUser, (seq) => simpleRequest(seq, 'sticky'), (seq) => {
    const md = new grpc.Metadata();
    md.set('user', `u${seq % users}`);
    return md;
  });
  for (const versions of [byParam, byHeader]) {
    const arms = new Map<number, Set<string>>();
    versions.forEach((v, seq) => arms.set(seq % users, (arms.get(seq % users) ?? new Set()).add(v)));
    expect([...arms.values()].every((s) => s.size === 1)).toBe(true);
    const onV2 = [...arms.values()].filter((s) => s.has('2')).length;
    expect(onV2).toBeGreaterThan(0);
    expect(onV2).toBeLessThan(users);
  }
  // The same key lands on the same arm whether it comes as a parameter or as metadata.
  expect(byHeader).toEqual(byParam);
  console.log(`sticky split: sent ${2 * users * perUser}, succeeded ${2 * users * perUser}, failed 0; ${users} users, each on one arm`);
});

test('weights change by RPC and by editing split.pbtxt (poll mode) under load, without a restart', async () => {
  const load = new LoadGenerator(clients, (_c, seq) => simpleRequest(seq, 'canary'), (res, seq) => checkSimple(seq, res));
  await load.waitFor(20);
  await call(clients[0], 'repositoryModelLoad', { repositoryName: '', modelName: 'canary', parameters: { split: { stringParam: split(0, 1) } } });
  const rpcAt = Date.now();
  await load.waitFor(60);
  const afterRpc = load.counts(rpcAt);
  expect(afterRpc.byVersion).toEqual({ 2: afterRpc.succeeded });

  await fs.writeFile(path.join(repo, 'canary/split.pbtxt'), split(1, 0));
  await until(async () => {
    const idx = await call<RepositoryIndexResponse>(clients[0], 'repositoryIndex', { repositoryName: '', ready: false });
    return idx.models.some((m) => m.name === 'canary' && /split\.pbtxt\): simple\/1 100\.0%, simple\/2 0\.0%/.test(m.reason));
  }, 120_000, 'edited split.pbtxt applied');
  const fileAt = Date.now();
  await load.waitFor(60);
  const afterFile = load.counts(fileAt);
  expect(afterFile.byVersion).toEqual({ 1: afterFile.succeeded });

  // A bad split is refused and the current one keeps routing.
  const bad = await callError(clients[0], 'repositoryModelLoad', { repositoryName: '', modelName: 'canary', parameters: { split: { stringParam: 'arm { model: "simple" wieght: 1 }' } } });
  expect(bad.code).toBe(grpc.status.INVALID_ARGUMENT);
  expect(bad.details).toMatch(/alias 'canary': canary: RepositoryModelLoad parameter 'split':1:.*unknown field 'arm\[0\]\.wieght'/);
  const total = await load.stop();
  console.log(`split weight changes under load (4 clients): sent ${total.sent}, succeeded ${total.succeeded}, failed ${total.failed}; ` +
    `after RPC ${JSON.stringify(afterRpc.byVersion)}, after file edit ${JSON.stringify(afterFile.byVersion)}`);
  expect(load.errors()).toEqual([]);
});

test('an arm that is not ready gets no traffic; an alias has no versions', async () => {
  await call(clients[0], 'repositoryModelLoad', {
    repositoryName: '',
    modelName: 'canary',
    parameters: { split: { stringParam: 'arm { model: "simple" version: 1 weight: 1 }\narm { model: "missing" weight: 99 }' } },
  });
  const versions = await sendMany(40, (seq) => simpleRequest(seq, 'canary'));
  expect(new Set(versions)).toEqual(new Set(['1']));
  const err = await callError(clients[0], 'modelInfer', simpleRequest(0, 'canary', '1'));
  expect(err.code).toBe(grpc.status.INVALID_ARGUMENT);
  expect(err.details).toMatch(/'canary' is a traffic-split alias and has no versions/);
});

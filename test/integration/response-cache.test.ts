// Response cache (`response_cache { enable: true }`): a repeated request is answered from the cache with
// identical bytes and counts a cache hit in ModelStatistics; a different input or requested output misses; a
// model without response_cache never touches the cache; a reload of the version starts afresh.

import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import type * as grpc from '@grpc/grpc-js';
import type { InferdServer } from '../../src/server';
import type { ModelInferResponse, ModelStatisticsResponse } from '../../generated/inference/grpc_service';
import { call, MODELS_DIR, startServer, tempRepository, tsProtoClient } from '../support/server';
import { checkSimple, simpleRequest } from '../support/simple-model';

let server: InferdServer;
let client: grpc.Client;

beforeAll(async () => {
  const repo = await tempRepository({ simple: path.join(MODELS_DIR, 'simple'), plain: path.join(MODELS_DIR, 'simple') });
  await fs.appendFile(path.join(repo, 'simple/config.pbtxt'), '\nresponse_cache { enable: true }\n');
  const plainConfig = path.join(repo, 'plain/config.pbtxt');
  await fs.writeFile(plainConfig, (await fs.readFile(plainConfig, 'utf8')).replace('name: "simple"', 'name: "plain"'));
  server = await startServer({ modelRepository: repo, modelControlMode: 'explicit', loadModels: ['*'] });
  client = tsProtoClient(server.address);
});

afterAll(async () => {
  client.close();
  await server.stop();
});

async function cacheStats(model: string) {
  const res = await call<ModelStatisticsResponse>(client, 'modelStatistics', { name: model, version: '' });
  const s = res.modelStats[0];
  return {
    hit: Number(s.inferenceStats?.cacheHit?.count ?? 0),
    miss: Number(s.inferenceStats?.cacheMiss?.count ?? 0),
    success: Number(s.inferenceStats?.success?.count ?? 0),
    executions: Number(s.executionCount),
  };
}

test('a repeated request is a cache hit with identical bytes; the hit counter goes up, no execution runs', async () => {
  const first = await call<ModelInferResponse>(client, 'modelInfer', simpleRequest(7));
  expect(checkSimple(7, first)).toBe('');
  expect(await cacheStats('simple')).toEqual({ hit: 0, miss: 1, success: 1, executions: 1 });
  const second = await call<ModelInferResponse>(client, 'modelInfer', simpleRequest(7));
  expect(Buffer.concat(second.rawOutputContents)).toEqual(Buffer.concat(first.rawOutputContents));
  expect(second.outputs).toEqual(first.outputs);
  expect(await cacheStats('simple')).toEqual({ hit: 1, miss: 1, success: 2, executions: 1 });
  const stats = await call<ModelStatisticsResponse>(client, 'modelStatistics', { name: 'simple', version: '' });
  expect(Number(stats.modelStats[0].inferenceStats?.cacheHit?.ns)).toBeGreaterThan(0);
});

test('a different input or a different requested output misses', async () => {
  const before = await cacheStats('simple');
  const other = await call<ModelInferResponse>(client, 'modelInfer', simpleRequest(8));
  expect(checkSimple(8, other)).toBe('');
  const oneOutput = await call<ModelInferResponse>(client, 'modelInfer', {
    ...simpleRequest(7),
    outputs: [{ name: 'OUTPUT1', parameters: {} }],
  });
  expect(oneOutput.outputs.map((o) => o.name)).toEqual(['OUTPUT1']);
  expect(await cacheStats('simple')).toEqual({ hit: before.hit, miss: before.miss + 2, success: before.success + 2, executions: before.executions + 2 });
});

test('a model without response_cache does not use the cache', async () => {
  await call(client, 'modelInfer', simpleRequest(7, 'plain'));
  await call(client, 'modelInfer', simpleRequest(7, 'plain'));
  expect(await cacheStats('plain')).toEqual({ hit: 0, miss: 0, success: 2, executions: 2 });
});

test('a reload of the version starts with an empty cache for it', async () => {
  await call(client, 'repositoryModelUnload', { repositoryName: '', modelName: 'simple', parameters: {} });
  await call(client, 'repositoryModelLoad', { repositoryName: '', modelName: 'simple', parameters: {} });
  await call(client, 'modelInfer', simpleRequest(7));
  expect(await cacheStats('simple')).toEqual({ hit: 0, miss: 1, success: 1, executions: 1 });
});

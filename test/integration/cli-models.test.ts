// `inferd models index|load|unload|rollback` against a running server: a rollback pins the served version
// (version_policy override), a plain load goes back to config.pbtxt, unload stops the model, errors are clear.

import { execFile } from 'node:child_process';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { promisify } from 'node:util';
import type * as grpc from '@grpc/grpc-js';
import type { InferdServer } from '../../src/server';
import type { ModelInferResponse } from '../../generated/inference/grpc_service';
import { call, MODELS_DIR, REPO_ROOT, startServer, tempRepository, tsProtoClient } from '../support/server';
import { simpleRequest } from '../support/simple-model';

// Worker crashes, model loads and child processes take a while on a busy machine; this is slack, not a check.
jest.setTimeout(300_000);

const run = promisify(execFile);
const CLI = path.join(REPO_ROOT, 'dist/src/cli/main.js');

let server: InferdServer;
let client: grpc.Client;

beforeAll(async () => {
  const repo = await tempRepository({ simple: path.join(MODELS_DIR, 'simple') });
  await fs.cp(path.join(repo, 'simple/1'), path.join(repo, 'simple/2'), { recursive: true });
  server = await startServer({ modelRepository: repo, modelControlMode: 'explicit', loadModels: ['*'] });
  client = tsProtoClient(server.address);
});

afterAll(async () => {
  client.close();
  await server.stop();
});

const inferd = (...args: string[]) => run(process.execPath, [CLI, 'models', ...args, '--server', server.address]);
const servedVersion = async () => (await call<ModelInferResponse>(client, 'modelInfer', simpleRequest(1))).modelVersion;

test('rollback, load, index and unload through the CLI', async () => {
  expect(await servedVersion()).toBe('2');
  expect((await inferd('rollback', 'simple', '1')).stdout).toBe('simple: now serving version 1\n');
  expect(await servedVersion()).toBe('1');
  expect((await inferd('index')).stdout).toBe('simple\t1\tREADY\t\n');

  expect((await inferd('load', 'simple')).stdout).toBe('loaded simple\n');
  expect(await servedVersion()).toBe('2');
  await inferd('load', 'simple', '--config', '{"version_policy":{"all":{}}}');
  expect((await inferd('index', '--ready')).stdout).toBe('simple\t1\tREADY\t\nsimple\t2\tREADY\t\n');

  expect((await inferd('unload', 'simple')).stdout).toBe('unloaded simple\n');
  expect(await call(client, 'modelReady', { name: 'simple', version: '' })).toEqual({ ready: false });
});

test('a failing rollback says why and exits non-zero', async () => {
  await expect(inferd('rollback', 'simple', '7')).rejects.toMatchObject({
    code: 1,
    stderr: expect.stringContaining("inferd: UNAVAILABLE: model 'simple' failed to load: version_policy selects no version (version folders 1, 2)"),
  });
});

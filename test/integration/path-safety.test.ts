// Nothing in a request reaches outside the model repository, and no answer shows the host's paths: traversal
// attempts in RepositoryModelLoad/Unload names, in request versions, in load parameters and in
// default_model_filename are refused; load failures and the repository index carry scrubbed reasons, and no RPC
// output contains the repository's absolute path.

import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import * as grpc from '@grpc/grpc-js';
import type { InferdServer } from '../../src/server';
import type { RepositoryIndexResponse } from '../../generated/inference/grpc_service';
import { call, callError, FIXTURES_DIR, int32Bytes, MODELS_DIR, startServer, tempRepository, tsProtoClient } from '../support/server';

let repo: string;
let server: InferdServer;
let client: grpc.Client;

beforeAll(async () => {
  repo = await tempRepository({ simple: path.join(MODELS_DIR, 'simple') });
  // A model outside the repository that a traversal would reach.
  await fs.mkdir(path.join(path.dirname(repo), 'outside-model/1'), { recursive: true });
  await fs.copyFile(path.join(MODELS_DIR, 'simple/1/model.onnx'), path.join(path.dirname(repo), 'outside-model/1/model.onnx'));
  await fs.mkdir(path.join(repo, 'broken/1'), { recursive: true });
  await fs.copyFile(path.join(FIXTURES_DIR, 'corrupt/model.onnx'), path.join(repo, 'broken/1/model.onnx'));
  for (const [name, file] of [['escape', '../../simple/1/model.onnx'], ['absolute', '/etc/passwd'], ['dot', '.']]) {
    await fs.mkdir(path.join(repo, name, '1'), { recursive: true });
    await fs.writeFile(path.join(repo, name, 'config.pbtxt'), `default_model_filename: "${file}"\n`);
  }
  server = await startServer({ modelRepository: repo, modelControlMode: 'explicit', loadModels: ['simple'] });
  client = tsProtoClient(server.address);
});
afterAll(async () => {
  client.close();
  await server.stop();
});

const load = (modelName: string, parameters = {}) => callError(client, 'repositoryModelLoad', { repositoryName: '', modelName, parameters });

test.each([
  '../outside-model', '..', '.', '/etc', `${path.dirname(MODELS_DIR)}/models/simple`, 'simple/../simple', 'a/b', 'a\\b',
  '', '%2e%2e', 'simple\0', '.hidden', 'x'.repeat(300),
])('RepositoryModelLoad and Unload refuse the name %j', async (name) => {
  for (const method of ['repositoryModelLoad', 'repositoryModelUnload']) {
    const err = await callError(client, method, { repositoryName: '', modelName: name, parameters: {} });
    expect(err.code).toBe(grpc.status.INVALID_ARGUMENT);
    expect(err.details).toMatch(/is not valid: use letters, digits, '_', '-' and '\.', without path separators or '\.\.'$/);
  }
});

test('load parameters that would name files (Triton "file:" overrides, "config") are refused', async () => {
  const err = await load('simple', { 'file:1/model.onnx': { bytesParam: Buffer.from('onnx') } });
  expect(err.code).toBe(grpc.status.INVALID_ARGUMENT);
  expect(err.details).toBe("model 'simple': load parameter 'file:1/model.onnx' is not supported (supported: config, split)");
  // A config override may only carry a version policy: nothing in it can name a file.
  const override = await load('simple', { config: { stringParam: '{"default_model_filename": "../../../etc/passwd"}' } });
  expect(override.code).toBe(grpc.status.INVALID_ARGUMENT);
  expect(override.details).toMatch(/default_model_filename/);
});

test.each(['../1', '1/../1', '/1', '-1', '1.0', ' 1'])('ModelInfer refuses version %j', async (version) => {
  const err = await callError(client, 'modelInfer', {
    modelName: 'simple', modelVersion: version, id: '', parameters: {}, outputs: [],
    inputs: [{ name: 'INPUT0', datatype: 'INT32', shape: [1n, 16n], parameters: {} }], rawInputContents: [int32Bytes(new Array(16).fill(0))],
  });
  expect(err.code).toBe(grpc.status.INVALID_ARGUMENT);
  expect(err.details).toBe(`model 'simple': version '${version}' is not a number`);
});

test('default_model_filename cannot leave the version folder', async () => {
  for (const name of ['escape', 'absolute', 'dot']) {
    const err = await load(name);
    expect(err.code).toBe(grpc.status.UNAVAILABLE);
    expect(err.details).toMatch(new RegExp(`default_model_filename '.*' must be a plain file name$`));
  }
});

test('a load failure names the file without the host path; so does the index', async () => {
  const err = await load('broken');
  expect(err.code).toBe(grpc.status.UNAVAILABLE);
  expect(err.details).toContain('<path>/model.onnx');
  expect(err.details).not.toContain(repo);
  expect(err.details).not.toContain(path.dirname(repo));
  const index = await call<RepositoryIndexResponse>(client, 'repositoryIndex', { repositoryName: '', ready: false });
  const broken = index.models.find((m) => m.name === 'broken')!;
  expect(broken.reason).toMatch(/onnxruntime could not load the model: Load model from <path>\/model\.onnx failed/);
});

test('no RPC output contains the repository path or model bytes', async () => {
  const modelBytes = (await fs.readFile(path.join(repo, 'simple/1/model.onnx'))).subarray(0, 64).toString('latin1');
  const answers: unknown[] = [
    await call(client, 'serverMetadata', {}),
    await call(client, 'modelMetadata', { name: 'simple', version: '' }),
    await call(client, 'modelConfig', { name: 'simple', version: '' }),
    await call(client, 'modelStatistics', { name: '', version: '' }),
    await call(client, 'repositoryIndex', { repositoryName: '', ready: false }),
    (await callError(client, 'modelInfer', { modelName: 'broken', modelVersion: '', id: '', parameters: {}, inputs: [], outputs: [], rawInputContents: [] })).details,
    (await callError(client, 'modelConfig', { name: 'escape', version: '1' })).details,
  ];
  const text = JSON.stringify(answers, (_k, v: unknown) => (typeof v === 'bigint' ? String(v) : v));
  expect(text).toContain('simple');
  expect(text).not.toContain(repo);
  expect(text).not.toContain(path.dirname(repo));
  expect(text).not.toContain(modelBytes);
});

// Model repository behaviour through the RPCs: a corrupt model beside good ones, explicit load / unload / reload,
// version policy, a missing CUDA device, and a model whose datatypes onnxruntime-node cannot feed.

import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import * as grpc from '@grpc/grpc-js';
import type { InferdServer } from '../../src/server';
import type { ModelInferResponse, ModelMetadataResponse, RepositoryIndexResponse } from '../../generated/inference/grpc_service';
import {
  call,
  callError,
  FIXTURES_DIR,
  int32Bytes,
  int32Values,
  MODELS_DIR,
  protoLoaderClient,
  startServer,
  tempRepository,
  tsProtoClient,
} from '../support/server';

const ones = Array.from({ length: 16 }, () => 1);
const simpleRequest = (modelName = 'simple', modelVersion = '') => ({
  modelName,
  modelVersion,
  id: '',
  parameters: {},
  inputs: ['INPUT0', 'INPUT1'].map((name) => ({ name, datatype: 'INT32', shape: [1n, 16n], parameters: {} })),
  outputs: [],
  rawInputContents: [int32Bytes(ones), int32Bytes(ones)],
});

async function index(client: grpc.Client) {
  return (await call<RepositoryIndexResponse>(client, 'repositoryIndex', { repositoryName: '', ready: false })).models;
}

describe('a corrupt model beside good ones', () => {
  let server: InferdServer;
  let client: grpc.Client;
  beforeAll(async () => {
    const repo = await tempRepository({ simple: path.join(MODELS_DIR, 'simple'), mlp: path.join(MODELS_DIR, 'mlp') });
    await fs.mkdir(path.join(repo, 'broken/1'), { recursive: true });
    await fs.copyFile(path.join(FIXTURES_DIR, 'corrupt/model.onnx'), path.join(repo, 'broken/1/model.onnx'));
    await fs.mkdir(path.join(repo, 'badconfig/1'), { recursive: true });
    await fs.copyFile(path.join(MODELS_DIR, 'simple/1/model.onnx'), path.join(repo, 'badconfig/1/model.onnx'));
    await fs.writeFile(path.join(repo, 'badconfig/config.pbtxt'), 'max_batch_size: "eight"\n');
    server = await startServer({ modelRepository: repo });
    client = tsProtoClient(server.address);
  });
  afterAll(async () => {
    client.close();
    await server.stop();
  });

  test('the server starts and the good models serve', async () => {
    expect(await call(client, 'serverReady', {})).toEqual({ ready: true });
    const res = await call<ModelInferResponse>(client, 'modelInfer', simpleRequest());
    expect(int32Values(res.rawOutputContents[0])).toEqual(ones.map(() => 2));
  });

  test('RepositoryIndex shows why each bad model is unavailable', async () => {
    const rows = await index(client);
    const broken = rows.find((r) => r.name === 'broken');
    expect(broken).toMatchObject({ version: '1', state: 'UNAVAILABLE' });
    expect(broken?.reason).toMatch(/model 'broken' version 1 instance 0 \(cpu\): onnxruntime could not load the model: .*Protobuf parsing failed/);
    const bad = rows.find((r) => r.name === 'badconfig');
    expect(bad).toMatchObject({ version: '', state: 'UNAVAILABLE' });
    expect(bad?.reason).toMatch(/badconfig\/config.pbtxt:1/);
    expect(rows.filter((r) => r.state === 'READY').map((r) => r.name)).toEqual(['mlp', 'simple']);
  });

  test('requests to the broken model are UNAVAILABLE with the reason', async () => {
    const err = await callError(client, 'modelInfer', simpleRequest('broken'));
    expect(err.code).toBe(grpc.status.UNAVAILABLE);
    expect(err.details).toMatch(/Protobuf parsing failed/);
    expect(await call(client, 'modelReady', { name: 'broken', version: '' })).toEqual({ ready: false });
  });
});

describe('explicit model control', () => {
  let server: InferdServer;
  let client: grpc.Client;
  let repo: string;
  beforeAll(async () => {
    repo = await tempRepository({ simple: path.join(MODELS_DIR, 'simple'), mlp: path.join(MODELS_DIR, 'mlp') });
    server = await startServer({ modelRepository: repo, modelControlMode: 'explicit', loadModels: ['mlp'] });
    client = tsProtoClient(server.address);
  });
  afterAll(async () => {
    client.close();
    await server.stop();
  });

  test('only --load-model models are loaded at start', async () => {
    expect(await index(client)).toEqual([
      { name: 'mlp', version: '1', state: 'READY', reason: '' },
      { name: 'simple', version: '', state: '', reason: '' },
    ]);
    expect((await callError(client, 'modelInfer', simpleRequest())).code).toBe(grpc.status.NOT_FOUND);
  });

  test('load, infer, unload, infer fails, reload', async () => {
    await call(client, 'repositoryModelLoad', { repositoryName: '', modelName: 'simple', parameters: {} });
    const res = await call<ModelInferResponse>(client, 'modelInfer', simpleRequest());
    expect(int32Values(res.rawOutputContents[1])).toEqual(ones.map(() => 0));

    await call(client, 'repositoryModelUnload', { repositoryName: '', modelName: 'simple', parameters: {} });
    expect((await index(client)).find((r) => r.name === 'simple')).toEqual({
      name: 'simple',
      version: '',
      state: 'UNAVAILABLE',
      reason: 'unloaded',
    });
    const err = await callError(client, 'modelInfer', simpleRequest());
    expect(err.code).toBe(grpc.status.UNAVAILABLE);
    expect(await call(client, 'modelReady', { name: 'simple', version: '' })).toEqual({ ready: false });

    await call(client, 'repositoryModelLoad', { repositoryName: '', modelName: 'simple', parameters: {} });
    expect(await call(client, 'modelReady', { name: 'simple', version: '1' })).toEqual({ ready: true });
  });

  test('load and unload through a proto-loader client', async () => {
    const pl = protoLoaderClient(server.address);
    await call(pl, 'RepositoryModelUnload', { model_name: 'mlp' });
    expect(await call(pl, 'ModelReady', { name: 'mlp' })).toEqual({ ready: false });
    await call(pl, 'RepositoryModelLoad', { model_name: 'mlp' });
    expect(await call(pl, 'ModelReady', { name: 'mlp', version: '1' })).toEqual({ ready: true });
    pl.close();
  });

  test('reloading picks up a new version folder (latest policy) and retires the old one', async () => {
    await fs.cp(path.join(repo, 'simple/1'), path.join(repo, 'simple/2'), { recursive: true });
    await call(client, 'repositoryModelLoad', { repositoryName: '', modelName: 'simple', parameters: {} });
    const rows = (await index(client)).filter((r) => r.name === 'simple');
    expect(rows).toEqual([{ name: 'simple', version: '2', state: 'READY', reason: '' }]);
    const res = await call<ModelInferResponse>(client, 'modelInfer', simpleRequest());
    expect(res.modelVersion).toBe('2');
    expect((await callError(client, 'modelInfer', simpleRequest('simple', '1'))).code).toBe(grpc.status.NOT_FOUND);
  });

  test('version_policy all / specific decide which versions serve', async () => {
    const config = await fs.readFile(path.join(repo, 'simple/config.pbtxt'), 'utf8');
    await fs.writeFile(path.join(repo, 'simple/config.pbtxt'), `${config}\nversion_policy: { all: {} }\n`);
    await call(client, 'repositoryModelLoad', { repositoryName: '', modelName: 'simple', parameters: {} });
    const md = await call<ModelMetadataResponse>(client, 'modelMetadata', { name: 'simple', version: '' });
    expect(md.versions).toEqual(['1', '2']);
    expect((await call<ModelInferResponse>(client, 'modelInfer', simpleRequest('simple', '1'))).modelVersion).toBe('1');
    expect((await call<ModelInferResponse>(client, 'modelInfer', simpleRequest())).modelVersion).toBe('2');

    await fs.writeFile(path.join(repo, 'simple/config.pbtxt'), `${config}\nversion_policy: { specific: { versions: [1] } }\n`);
    await call(client, 'repositoryModelLoad', { repositoryName: '', modelName: 'simple', parameters: {} });
    expect((await index(client)).filter((r) => r.name === 'simple').map((r) => r.version)).toEqual(['1']);
    expect((await call<ModelInferResponse>(client, 'modelInfer', simpleRequest())).modelVersion).toBe('1');
  });

  test('loading an unknown model or an unsafe name fails clearly', async () => {
    const err = await callError(client, 'repositoryModelLoad', { repositoryName: '', modelName: 'nope', parameters: {} });
    expect(err.code).toBe(grpc.status.NOT_FOUND);
    const evil = await callError(client, 'repositoryModelLoad', { repositoryName: '', modelName: '../models', parameters: {} });
    expect(evil.code).toBe(grpc.status.INVALID_ARGUMENT);
    expect(evil.details).toMatch(/without path separators or '\.\.'/);
  });

  test('a KIND_GPU model without CUDA fails to load with the reason; others keep serving', async () => {
    await fs.cp(path.join(repo, 'mlp'), path.join(repo, 'mlp_gpu'), { recursive: true });
    const config = (await fs.readFile(path.join(repo, 'mlp/config.pbtxt'), 'utf8')).replace('name: "mlp"', 'name: "mlp_gpu"');
    await fs.writeFile(path.join(repo, 'mlp_gpu/config.pbtxt'), `${config}\ninstance_group [ { kind: KIND_GPU gpus: [ 0 ] count: 1 } ]\n`);
    const err = await callError(client, 'repositoryModelLoad', { repositoryName: '', modelName: 'mlp_gpu', parameters: {} });
    expect(err.code).toBe(grpc.status.UNAVAILABLE);
    expect(err.details).toMatch(/KIND_GPU needs the CUDA execution provider on device 0, which failed/);
    const row = (await index(client)).find((r) => r.name === 'mlp_gpu');
    expect(row?.state).toBe('UNAVAILABLE');
    expect(row?.reason).toMatch(/CUDA/);
    expect(await call(client, 'modelReady', { name: 'mlp', version: '' })).toEqual({ ready: true });
  });

  test('allow_cpu_fallback lets a KIND_GPU model run on CPU when asked for', async () => {
    const config = await fs.readFile(path.join(repo, 'mlp_gpu/config.pbtxt'), 'utf8');
    await fs.writeFile(
      path.join(repo, 'mlp_gpu/config.pbtxt'),
      `${config}\nparameters { key: "allow_cpu_fallback" value: { string_value: "true" } }\n`,
    );
    await call(client, 'repositoryModelLoad', { repositoryName: '', modelName: 'mlp_gpu', parameters: {} });
    expect(await call(client, 'modelReady', { name: 'mlp_gpu', version: '1' })).toEqual({ ready: true });
    const providers = server.repository.resolve('mlp_gpu', '').serving?.pool.providers;
    expect(providers).toEqual(['cpu (fallback: CUDA unavailable)']);
  });

  test('a bfloat16 model is unavailable with a reason naming the datatype', async () => {
    await fs.cp(path.join(FIXTURES_DIR, 'repo-all-types/bf16_identity'), path.join(repo, 'bf16_identity'), { recursive: true });
    const err = await callError(client, 'repositoryModelLoad', { repositoryName: '', modelName: 'bf16_identity', parameters: {} });
    expect(err.code).toBe(grpc.status.UNAVAILABLE);
    expect(err.details).toMatch(/model 'bf16_identity'.*(data type: 16|bfloat16)/i);
  });
});

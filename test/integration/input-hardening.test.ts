// Input hardening through the real server: each size limit answers INVALID_ARGUMENT with its own message (model,
// tensor, limit, flag), and a model's value policy from config.pbtxt refuses NaN/Inf and out-of-range values or
// clamps them (the clamped request computes the same outputs as the in-range one); a malformed policy fails the load.

import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import * as grpc from '@grpc/grpc-js';
import type { InferdServer } from '../../src/server';
import type { ModelInferResponse, RepositoryIndexResponse } from '../../generated/inference/grpc_service';
import { call, callError, int32Bytes, MODELS_DIR, startServer, tempRepository, tsProtoClient } from '../support/server';

const ones = Array.from({ length: 16 }, () => 1);
const int32Input = (name: string, shape: bigint[]) => ({ name, datatype: 'INT32', shape, parameters: {} });
const simple = (inputs: ReturnType<typeof int32Input>[], raw: Buffer[]) => ({
  modelName: 'simple', modelVersion: '', id: '', parameters: {}, inputs, outputs: [], rawInputContents: raw,
});

function bytesElements(strings: string[]): Buffer {
  return Buffer.concat(strings.flatMap((s) => {
    const len = Buffer.alloc(4);
    len.writeUInt32LE(Buffer.byteLength(s));
    return [len, Buffer.from(s)];
  }));
}

describe('size limits', () => {
  let server: InferdServer;
  let client: grpc.Client;
  beforeAll(async () => {
    server = await startServer({
      modelControlMode: 'explicit',
      loadModels: ['simple', 'simple_string'],
      inputLimits: { maxInputTensors: 2, maxRank: 2, maxTensorElements: 16, maxInputBytes: 200, maxBytesElement: 4 },
    });
    client = tsProtoClient(server.address);
  });
  afterAll(async () => {
    client.close();
    await server.stop();
  });

  test('a request within every limit is served', async () => {
    const res = await call<ModelInferResponse>(client, 'modelInfer', simple([int32Input('INPUT0', [1n, 16n]), int32Input('INPUT1', [1n, 16n])], [int32Bytes(ones), int32Bytes(ones)]));
    expect(res.outputs.map((o) => o.name)).toEqual(['OUTPUT0', 'OUTPUT1']);
  });

  test('tensor count', async () => {
    const err = await callError(client, 'modelInfer', simple(
      ['INPUT0', 'INPUT1', 'INPUT2'].map((n) => int32Input(n, [1n, 16n])), [int32Bytes(ones), int32Bytes(ones), int32Bytes(ones)]));
    expect(err.code).toBe(grpc.status.INVALID_ARGUMENT);
    expect(err.details).toBe("model 'simple': request has 3 input tensors, over the limit of 2 (--max-input-tensors)");
  });

  test('rank', async () => {
    const err = await callError(client, 'modelInfer', simple([int32Input('INPUT0', [1n, 1n, 16n]), int32Input('INPUT1', [1n, 16n])], [int32Bytes(ones), int32Bytes(ones)]));
    expect(err.code).toBe(grpc.status.INVALID_ARGUMENT);
    expect(err.details).toBe("model 'simple': input 'INPUT0' (INT32, shape [1,1,16]) has rank 3, over the limit of 2 (--max-input-rank)");
  });

  test('elements per tensor', async () => {
    const two = int32Bytes([...ones, ...ones]);
    const err = await callError(client, 'modelInfer', simple([int32Input('INPUT0', [2n, 16n]), int32Input('INPUT1', [2n, 16n])], [two, two]));
    expect(err.code).toBe(grpc.status.INVALID_ARGUMENT);
    expect(err.details).toBe("model 'simple': input 'INPUT0' (INT32, shape [2,16]) has 32 elements, over the limit of 16 (--max-tensor-elements)");
  });

  const strings = (n: string, values: string[]) => ({
    modelName: 'simple_string', modelVersion: '', id: '', parameters: {}, outputs: [],
    inputs: ['INPUT0', 'INPUT1'].map((name) => ({ name, datatype: 'BYTES', shape: [1n, 16n], parameters: {} })),
    rawInputContents: [bytesElements(values), bytesElements(values.map(() => n))],
  });

  test('length of one BYTES element', async () => {
    const err = await callError(client, 'modelInfer', strings('1', ['12345', ...ones.slice(1).map(String)]));
    expect(err.code).toBe(grpc.status.INVALID_ARGUMENT);
    expect(err.details).toBe("model 'simple_string': input 'INPUT0' (BYTES, shape [1,16]): BYTES element 0 is 5 bytes, over the limit of 4 (--max-bytes-element)");
  });

  test('total input bytes', async () => {
    const err = await callError(client, 'modelInfer', strings('1234', ones.map(() => '1234')));
    expect(err.code).toBe(grpc.status.INVALID_ARGUMENT);
    expect(err.details).toBe("model 'simple_string': input tensors up to 'INPUT1' hold 256 bytes, over the limit of 200 (--max-input-bytes)");
  });

  test('the message size limit is the transport\'s: RESOURCE_EXHAUSTED from grpc-js', async () => {
    const small = await startServer({ modelControlMode: 'explicit', loadModels: [], maxMessageBytes: 1024 });
    const c = tsProtoClient(small.address);
    try {
      const big = Buffer.alloc(4096);
      const err = await callError(c, 'modelInfer', simple([int32Input('INPUT0', [1n, 1024n])], [big]));
      expect(err.code).toBe(grpc.status.RESOURCE_EXHAUSTED);
      expect(err.details).toMatch(/larger than max \(\d+ vs\.? 1024\)/);
    } finally {
      c.close();
      await small.stop();
    }
  });
});

const policy = (params: Record<string, string>) =>
  Object.entries(params).map(([k, v]) => `parameters { key: "${k}" value: { string_value: "${v}" } }`).join('\n');

describe('per-model value policy (config.pbtxt parameters)', () => {
  let server: InferdServer;
  let client: grpc.Client;
  beforeAll(async () => {
    const mlp = path.join(MODELS_DIR, 'mlp');
    const repo = await tempRepository({ mlp, strict: mlp, clamped: mlp, badpolicy: mlp });
    const config = await fs.readFile(path.join(mlp, 'config.pbtxt'), 'utf8');
    const write = (name: string, params: Record<string, string>) =>
      fs.writeFile(path.join(repo, name, 'config.pbtxt'), `${config.replace('name: "mlp"', `name: "${name}"`)}\n${policy(params)}\n`);
    await write('strict', { input_reject_nonfinite: 'true', input_range: '-10:10' });
    await write('clamped', { 'input_range.INPUT': '-1:1', input_range_action: 'clamp' });
    await write('badpolicy', { input_range: 'ten' });
    server = await startServer({ modelRepository: repo });
    client = tsProtoClient(server.address);
  });
  afterAll(async () => {
    client.close();
    await server.stop();
  });

  const mlpRequest = (modelName: string, values: number[]) => ({
    modelName, modelVersion: '', id: '', parameters: {}, outputs: [],
    inputs: [{ name: 'INPUT', datatype: 'FP32', shape: [1n, 4n], parameters: {} }],
    rawInputContents: [Buffer.from(new Float32Array(values).buffer)],
  });
  const output = async (modelName: string, values: number[]) => {
    const res = await call<ModelInferResponse>(client, 'modelInfer', mlpRequest(modelName, values));
    const b = res.rawOutputContents[0];
    return Array.from(new Float32Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength)));
  };

  test('NaN and infinity are refused, naming the element', async () => {
    const nan = await callError(client, 'modelInfer', mlpRequest('strict', [0, NaN, 0, 0]));
    expect(nan.code).toBe(grpc.status.INVALID_ARGUMENT);
    expect(nan.details).toBe("model 'strict' version 1: input 'INPUT'[1] is NaN; this model refuses NaN and infinite inputs (input_reject_nonfinite)");
    const inf = await callError(client, 'modelInfer', mlpRequest('strict', [0, 0, 0, -Infinity]));
    expect(inf.details).toBe("model 'strict' version 1: input 'INPUT'[3] is -Infinity; this model refuses NaN and infinite inputs (input_reject_nonfinite)");
  });

  test('a value outside the declared range is refused; values inside are served', async () => {
    const err = await callError(client, 'modelInfer', mlpRequest('strict', [0, 0, 10.5, 0]));
    expect(err.code).toBe(grpc.status.INVALID_ARGUMENT);
    expect(err.details).toBe("model 'strict' version 1: input 'INPUT'[2] = 10.5 is outside the declared range [-10, 10] (input_range)");
    expect(await output('strict', [1, 2, 3, 4])).toEqual(await output('mlp', [1, 2, 3, 4]));
  });

  test('clamp mode clamps: the result equals the in-range request; NaN is still refused', async () => {
    expect(await output('clamped', [5, -7, 0.5, Infinity])).toEqual(await output('mlp', [1, -1, 0.5, 1]));
    const err = await callError(client, 'modelInfer', mlpRequest('clamped', [NaN, 0, 0, 0]));
    expect(err.details).toBe("model 'clamped' version 1: input 'INPUT'[0] = NaN is outside the declared range [-1, 1] (input_range)");
  });

  test('a malformed policy fails the load with the reason', async () => {
    const index = await call<RepositoryIndexResponse>(client, 'repositoryIndex', { repositoryName: '', ready: false });
    expect(index.models.find((m) => m.name === 'badpolicy')).toEqual({
      name: 'badpolicy', version: '1', state: 'UNAVAILABLE',
      reason: "model 'badpolicy': parameter input_range = 'ten' is not a range; write '<min>:<max>', e.g. '-1:1'",
    });
  });
});

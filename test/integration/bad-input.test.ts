// Bad requests each get their exact gRPC status and a message naming the model, tensor and problem; the server
// keeps serving afterwards.

import * as grpc from '@grpc/grpc-js';
import type { InferdServer } from '../../src/server';
import { InferTensorContents, type ModelInferResponse } from '../../generated/inference/grpc_service';
import { call, callError, int32Bytes, int32Values, startServer, tsProtoClient } from '../support/server';

let server: InferdServer;
let client: grpc.Client;

beforeAll(async () => {
  server = await startServer();
  client = tsProtoClient(server.address);
});

afterAll(async () => {
  client.close();
  await server.stop();
});

const ones = Array.from({ length: 16 }, () => 1);

interface Input {
  name: string;
  datatype: string;
  shape: bigint[];
  parameters: object;
  contents?: object;
}

const input = (name: string, shape: bigint[] = [1n, 16n], datatype = 'INT32'): Input => ({ name, datatype, shape, parameters: {} });

function request(over: Record<string, unknown> = {}) {
  return {
    modelName: 'simple',
    modelVersion: '',
    id: 'bad',
    parameters: {},
    inputs: [input('INPUT0'), input('INPUT1')],
    outputs: [] as Array<{ name: string; parameters: object }>,
    rawInputContents: [int32Bytes(ones), int32Bytes(ones)],
    ...over,
  };
}

const cases: Array<[string, Record<string, unknown>, grpc.status, RegExp]> = [
  ['unknown model', { modelName: 'no_such_model' }, grpc.status.NOT_FOUND, /model 'no_such_model'/],
  ['unknown version', { modelVersion: '7' }, grpc.status.NOT_FOUND, /model 'simple' version 7 is not served/],
  ['non-numeric version', { modelVersion: 'latest' }, grpc.status.INVALID_ARGUMENT, /version 'latest' is not a number/],
  [
    'missing input',
    { inputs: [input('INPUT0')], rawInputContents: [int32Bytes(ones)] },
    grpc.status.INVALID_ARGUMENT,
    /model 'simple' version 1: missing input 'INPUT1'/,
  ],
  [
    'an input given twice',
    { inputs: [input('INPUT0'), input('INPUT1'), input('INPUT0')], rawInputContents: [int32Bytes(ones), int32Bytes(ones), int32Bytes(ones)] },
    grpc.status.INVALID_ARGUMENT,
    /model 'simple' version 1: input 'INPUT0' is given more than once/,
  ],
  [
    'an output requested twice',
    { outputs: [{ name: 'OUTPUT1', parameters: {} }, { name: 'OUTPUT1', parameters: {} }] },
    grpc.status.INVALID_ARGUMENT,
    /model 'simple' version 1: output 'OUTPUT1' is requested more than once/,
  ],
  [
    'extra input',
    { inputs: [input('INPUT0'), input('INPUT1'), input('INPUT9')], rawInputContents: [int32Bytes(ones), int32Bytes(ones), int32Bytes(ones)] },
    grpc.status.INVALID_ARGUMENT,
    /unexpected input 'INPUT9'; the model's inputs are 'INPUT0', 'INPUT1'/,
  ],
  [
    'wrong datatype',
    { inputs: [input('INPUT0', [1n, 16n], 'FP32'), input('INPUT1')] },
    grpc.status.INVALID_ARGUMENT,
    /input 'INPUT0' has datatype FP32, the model expects INT32/,
  ],
  [
    'shape does not match the model',
    { inputs: [input('INPUT0', [1n, 15n]), input('INPUT1')], rawInputContents: [int32Bytes(ones.slice(1)), int32Bytes(ones)] },
    grpc.status.INVALID_ARGUMENT,
    /input 'INPUT0' shape: expected \[-1,16\] \(batch ≤ 8\), got \[1,15\]/,
  ],
  [
    'batch above max_batch_size',
    {
      inputs: [input('INPUT0', [9n, 16n]), input('INPUT1', [9n, 16n])],
      rawInputContents: [int32Bytes(Array(144).fill(1)), int32Bytes(Array(144).fill(1))],
    },
    grpc.status.INVALID_ARGUMENT,
    /batch ≤ 8/,
  ],
  [
    'byte length does not match the shape',
    { rawInputContents: [int32Bytes(ones.slice(2)), int32Bytes(ones)] },
    grpc.status.INVALID_ARGUMENT,
    /input 'INPUT0' \(INT32, shape \[1,16\]\) needs 64 bytes of raw_input_contents, got 56/,
  ],
  [
    'raw and typed contents mixed',
    { inputs: [{ ...input('INPUT0'), contents: InferTensorContents.fromPartial({ intContents: ones }) }, input('INPUT1')], rawInputContents: [int32Bytes(ones)] },
    grpc.status.INVALID_ARGUMENT,
    /sets contents while the request uses raw_input_contents/,
  ],
  [
    'fewer raw buffers than inputs',
    { rawInputContents: [int32Bytes(ones)] },
    grpc.status.INVALID_ARGUMENT,
    /raw_input_contents has 1 entries for 2 inputs/,
  ],
  [
    'unknown requested output',
    { outputs: [{ name: 'OUTPUT7', parameters: {} }] },
    grpc.status.INVALID_ARGUMENT,
    /unknown requested output 'OUTPUT7'; the model's outputs are 'OUTPUT0', 'OUTPUT1'/,
  ],
  [
    'negative dim',
    { inputs: [input('INPUT0', [-1n, 16n]), input('INPUT1')] },
    grpc.status.INVALID_ARGUMENT,
    /model 'simple': tensor 'INPUT0' has invalid shape \[-1,16\]: dim 0 is -1/,
  ],
  [
    'unknown datatype',
    { inputs: [input('INPUT0', [1n, 16n], 'INT33'), input('INPUT1')] },
    grpc.status.INVALID_ARGUMENT,
    /input 'INPUT0' has unknown datatype 'INT33'/,
  ],
  [
    'typed element count does not match the shape',
    {
      inputs: [
        { ...input('INPUT0'), contents: InferTensorContents.fromPartial({ intContents: [1, 2, 3] }) },
        { ...input('INPUT1'), contents: InferTensorContents.fromPartial({ intContents: ones }) },
      ],
      rawInputContents: [],
    },
    grpc.status.INVALID_ARGUMENT,
    /input 'INPUT0'.*3.*16/,
  ],
];

test.each(cases)('%s', async (_name, over, code, message) => {
  const err = await callError(client, 'modelInfer', request(over));
  expect(err.code).toBe(code);
  expect(err.details).toMatch(message);
});

test('truncated BYTES element on simple_string', async () => {
  const good = Buffer.concat(Array.from({ length: 16 }, () => Buffer.from([1, 0, 0, 0, 0x37])));
  const truncated = Buffer.concat([good.subarray(0, good.length - 3), Buffer.from([9, 0])]);
  const err = await callError(client, 'modelInfer', {
    ...request(),
    modelName: 'simple_string',
    inputs: [input('INPUT0', [1n, 16n], 'BYTES'), input('INPUT1', [1n, 16n], 'BYTES')],
    rawInputContents: [good, truncated],
  });
  expect(err.code).toBe(grpc.status.INVALID_ARGUMENT);
  expect(err.details).toMatch(/model 'simple_string'.*input 'INPUT1'.*truncated/);
});

test.each([
  ['a NUL byte', Buffer.from([0x31, 0x00, 0x32]), /element 5 contains a NUL byte/],
  ['invalid UTF-8', Buffer.from([0xff, 0xfe]), /element 5 is not valid UTF-8/],
])('BYTES element with %s is INVALID_ARGUMENT and does not cost the model its instance', async (_name, bad, message) => {
  const elements = Array.from({ length: 16 }, (_, i) => (i === 5 ? bad : Buffer.from('7')));
  const tensor = Buffer.concat(elements.flatMap((e) => [Buffer.from(new Uint32Array([e.length]).buffer), e]));
  const good = Buffer.concat(Array.from({ length: 16 }, () => Buffer.from([1, 0, 0, 0, 0x37])));
  const req = {
    ...request(),
    modelName: 'simple_string',
    inputs: [input('INPUT0', [1n, 16n], 'BYTES'), input('INPUT1', [1n, 16n], 'BYTES')],
    rawInputContents: [tensor, good],
  };
  for (let i = 0; i < 3; i++) {
    const err = await callError(client, 'modelInfer', req);
    expect(err.code).toBe(grpc.status.INVALID_ARGUMENT);
    expect(err.details).toMatch(/model 'simple_string' version 1 instance 0 \(cpu\): input 'INPUT0'/);
    expect(err.details).toMatch(message);
  }
  const ok = await call<ModelInferResponse>(client, 'modelInfer', { ...req, rawInputContents: [good, good] });
  expect(ok.rawOutputContents[0].subarray(0, 6)).toEqual(Buffer.from([2, 0, 0, 0, 0x31, 0x34]));
});

test('the server keeps serving after every bad request', async () => {
  const res = await call<ModelInferResponse>(client, 'modelInfer', request());
  expect(int32Values(res.rawOutputContents[0])).toEqual(ones.map(() => 2));
});

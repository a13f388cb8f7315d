// Every datatype onnxruntime-node can feed, end to end: identity_all (one Identity per type, no config.pbtxt, so
// its config is auto-completed) returns each input exactly, sent raw and sent as typed contents.

import * as path from 'node:path';
import * as grpc from '@grpc/grpc-js';
import type { InferdServer } from '../../src/server';
import type { ModelInferResponse } from '../../generated/inference/grpc_service';
import { encodeRaw, encodeTyped } from '../../src/tensor/encode';
import { decodeRaw } from '../../src/tensor/decode';
import type { Tensor } from '../../src/tensor/tensor';
import type { Datatype } from '../../src/tensor/datatypes';
import { fp32ToFp16Bits } from '../../src/tensor/half';
import { call, FIXTURES_DIR, protoLoaderClient, startServer, tempRepository, tsProtoClient } from '../support/server';

let server: InferdServer;
let client: grpc.Client;

beforeAll(async () => {
  const repo = await tempRepository({
    identity_all: path.join(FIXTURES_DIR, 'repo-all-types/identity_all'),
    identity_typed: path.join(FIXTURES_DIR, 'repo-all-types/identity_typed'),
  });
  server = await startServer({ modelRepository: repo });
  client = tsProtoClient(server.address);
});

afterAll(async () => {
  client.close();
  await server.stop();
});

const text = new TextEncoder();
const samples: Tensor[] = [
  { name: 'IN_BOOL', datatype: 'BOOL', shape: [4], data: new Uint8Array([1, 0, 0, 1]) },
  { name: 'IN_UINT8', datatype: 'UINT8', shape: [3], data: new Uint8Array([0, 128, 255]) },
  { name: 'IN_UINT16', datatype: 'UINT16', shape: [2], data: new Uint16Array([0, 65535]) },
  { name: 'IN_UINT32', datatype: 'UINT32', shape: [2], data: new Uint32Array([1, 4294967295]) },
  { name: 'IN_UINT64', datatype: 'UINT64', shape: [2], data: new BigUint64Array([0n, 18446744073709551615n]) },
  { name: 'IN_INT8', datatype: 'INT8', shape: [3], data: new Int8Array([-128, 0, 127]) },
  { name: 'IN_INT16', datatype: 'INT16', shape: [2], data: new Int16Array([-32768, 32767]) },
  { name: 'IN_INT32', datatype: 'INT32', shape: [3], data: new Int32Array([-2147483648, 0, 2147483647]) },
  { name: 'IN_INT64', datatype: 'INT64', shape: [2], data: new BigInt64Array([-9223372036854775808n, 9223372036854775807n]) },
  { name: 'IN_FP16', datatype: 'FP16', shape: [3], data: new Uint16Array([fp32ToFp16Bits(1), fp32ToFp16Bits(-2.5), 0x7c00]) },
  { name: 'IN_FP32', datatype: 'FP32', shape: [3], data: new Float32Array([1.5, -0, Number.POSITIVE_INFINITY]) },
  { name: 'IN_FP64', datatype: 'FP64', shape: [2], data: new Float64Array([Math.PI, -1e300]) },
  { name: 'IN_STRING', datatype: 'BYTES', shape: [3], data: [text.encode(''), text.encode('héllo ✓'), text.encode('plain')] },
];

const header = (t: Tensor) => ({ name: t.name, datatype: t.datatype, shape: t.shape.map(BigInt), parameters: {} });

function check(res: ModelInferResponse, fromTyped: boolean): void {
  expect(res.outputs.map((o) => o.name)).toEqual(samples.map((s) => s.name.replace('IN_', 'OUT_')));
  res.outputs.forEach((o, k) => {
    const sent = samples[k];
    expect(o.datatype).toBe(sent.datatype);
    expect(o.shape).toEqual(sent.shape.map(BigInt));
    const raw = fromTyped ? encodeRaw(decodeTypedOutput(o, sent.datatype)) : res.rawOutputContents[k];
    expect(Buffer.from(raw).equals(encodeRaw(sent))).toBe(true);
  });
}

function decodeTypedOutput(o: ModelInferResponse['outputs'][number], datatype: Datatype): Tensor {
  const sample = samples.find((s) => s.datatype === datatype) as Tensor;
  return decodeRaw({ ...o, datatype }, encodeRaw({ ...sample, data: typedBack(o, sample) }), '');
}

function typedBack(o: ModelInferResponse['outputs'][number], sample: Tensor): Tensor['data'] {
  const c = o.contents!;
  const Ctor = (sample.data as { constructor: unknown }).constructor as new (v: unknown[]) => Tensor['data'];
  switch (sample.datatype) {
    case 'BOOL':
      return new Uint8Array(c.boolContents.map((b) => (b ? 1 : 0)));
    case 'BYTES':
      return c.bytesContents.map((b) => new Uint8Array(b));
    case 'UINT64':
      return new BigUint64Array(c.uint64Contents);
    case 'INT64':
      return new BigInt64Array(c.int64Contents);
    case 'FP32':
      return new Float32Array(c.fp32Contents);
    case 'FP64':
      return new Float64Array(c.fp64Contents);
    case 'UINT8':
    case 'UINT16':
    case 'UINT32':
      return new Ctor(c.uintContents);
    default:
      return new Ctor(c.intContents);
  }
}

test('every datatype round-trips raw (auto-completed config, no batching)', async () => {
  const res = await call<ModelInferResponse>(client, 'modelInfer', {
    modelName: 'identity_all',
    modelVersion: '',
    id: 'raw',
    parameters: {},
    inputs: samples.map(header),
    outputs: [],
    rawInputContents: samples.map((s) => encodeRaw(s)),
  });
  check(res, false);
});

test('every datatype with a typed contents field round-trips as typed contents (FP16 has none)', async () => {
  const typed = samples.filter((s) => s.datatype !== 'FP16');
  const res = await call<ModelInferResponse>(client, 'modelInfer', {
    modelName: 'identity_typed',
    modelVersion: '',
    id: 'typed',
    parameters: { binary_data_output: { boolParam: false } },
    inputs: typed.map((s) => ({ ...header(s), contents: encodeTyped(s) })),
    outputs: typed.map((s) => ({ name: s.name.replace('IN_', 'OUT_'), parameters: {} })),
    rawInputContents: [],
  });
  expect(res.rawOutputContents).toEqual([]);
  res.outputs.forEach((o, k) => {
    const sent = typed[k];
    expect(Buffer.from(encodeRaw(decodeTypedOutput(o, sent.datatype))).equals(encodeRaw(sent))).toBe(true);
  });
});

test('asking for typed output of an FP16 tensor is INVALID_ARGUMENT naming the output', async () => {
  const fp16 = samples.find((s) => s.datatype === 'FP16') as Tensor;
  const others = samples.filter((s) => s !== fp16);
  const err = await new Promise<grpc.ServiceError>((resolve, reject) =>
    call(client, 'modelInfer', {
      modelName: 'identity_all',
      modelVersion: '',
      id: '',
      parameters: { binary_data_output: { boolParam: false } },
      inputs: samples.map(header),
      outputs: [{ name: 'OUT_FP16', parameters: {} }],
      rawInputContents: [...others.slice(0, 9).map((s) => encodeRaw(s)), encodeRaw(fp16), ...others.slice(9).map((s) => encodeRaw(s))],
    }).then(() => reject(new Error('expected failure')), resolve),
  );
  expect(err.code).toBe(grpc.status.INVALID_ARGUMENT);
  expect(err.details).toMatch(/OUT_FP16.*FP16.*raw_output_contents/);
});

test('empty tensors and the proto-loader client', async () => {
  const pl = protoLoaderClient(server.address);
  const empty = samples.map((s) => ({ name: s.name, datatype: s.datatype, shape: [0] }));
  const res = await call<{ outputs: Array<{ shape: string[] }>; raw_output_contents: Buffer[] }>(pl, 'modelInfer', {
    model_name: 'identity_all',
    inputs: empty,
    raw_input_contents: empty.map(() => Buffer.alloc(0)),
  });
  expect(res.outputs.map((o) => o.shape)).toEqual(samples.map(() => ['0']));
  expect(res.raw_output_contents.map((b) => b.length)).toEqual(samples.map(() => 0));
  pl.close();
});

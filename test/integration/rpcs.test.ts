// Every GRPCInferenceService RPC, health and reflection, through both the ts-proto client and a proto-loader
// client, against the default model repository (models/) served by a real inferd on a loopback port.

import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import * as path from 'node:path';
import type { InferdServer } from '../../src/server';
import type {
  ModelConfigResponse,
  ModelInferResponse,
  ModelMetadataResponse,
  ModelStatisticsResponse,
  ModelStreamInferResponse,
  RepositoryIndexResponse,
  ServerMetadataResponse,
} from '../../generated/inference/grpc_service';
import { DataType } from '../../generated/inference/model_config';
import { call, callError, int32Bytes, int32Values, protoLoaderClient, startServer, tsProtoClient } from '../support/server';

let server: InferdServer;
let gen: grpc.Client;
let pl: grpc.Client;

beforeAll(async () => {
  server = await startServer();
  gen = tsProtoClient(server.address);
  pl = protoLoaderClient(server.address);
});

afterAll(async () => {
  gen.close();
  pl.close();
  await server.stop();
});

const A = Array.from({ length: 16 }, (_, i) => i);
const B = Array.from({ length: 16 }, () => 1);

function simpleRequest(id: string) {
  return {
    modelName: 'simple',
    modelVersion: '',
    id,
    parameters: {},
    inputs: [
      { name: 'INPUT0', datatype: 'INT32', shape: [1n, 16n], parameters: {}, contents: undefined },
      { name: 'INPUT1', datatype: 'INT32', shape: [1n, 16n], parameters: {}, contents: undefined },
    ],
    outputs: [],
    rawInputContents: [int32Bytes(A), int32Bytes(B)],
  };
}

describe('health RPCs', () => {
  test.each([
    ['ts-proto', () => gen],
    ['proto-loader', () => pl],
  ])('ServerLive / ServerReady / ModelReady via %s', async (_name, client) => {
    expect(await call(client(), 'serverLive', {})).toEqual({ live: true });
    expect(await call(client(), 'serverReady', {})).toEqual({ ready: true });
    expect(await call(client(), 'modelReady', { name: 'simple', version: '' })).toEqual({ ready: true });
    expect(await call(client(), 'modelReady', { name: 'simple', version: '1' })).toEqual({ ready: true });
    const err = await callError(client(), 'modelReady', { name: 'nope', version: '' });
    expect(err.code).toBe(grpc.status.NOT_FOUND);
  });
});

describe('metadata RPCs', () => {
  test('ServerMetadata lists the extensions implemented', async () => {
    const md = await call<ServerMetadataResponse>(gen, 'serverMetadata', {});
    expect(md.name).toBe('inferd');
    expect(md.version).toMatch(/^\d+\.\d+\.\d+/);
    expect(md.extensions).toEqual(['model_repository', 'model_configuration', 'statistics']);
    const viaPl = await call<{ name: string; extensions: string[] }>(pl, 'serverMetadata', {});
    expect(viaPl.extensions).toEqual(md.extensions);
  });

  test('ModelMetadata of simple (ts-proto)', async () => {
    const md = await call<ModelMetadataResponse>(gen, 'modelMetadata', { name: 'simple', version: '' });
    expect(md).toEqual({
      name: 'simple',
      versions: ['1'],
      platform: 'onnxruntime_onnx',
      inputs: [
        { name: 'INPUT0', datatype: 'INT32', shape: [-1n, 16n] },
        { name: 'INPUT1', datatype: 'INT32', shape: [-1n, 16n] },
      ],
      outputs: [
        { name: 'OUTPUT0', datatype: 'INT32', shape: [-1n, 16n] },
        { name: 'OUTPUT1', datatype: 'INT32', shape: [-1n, 16n] },
      ],
    });
  });

  test('ModelMetadata of simple_string (proto-loader)', async () => {
    const md = await call<{ inputs: Array<{ name: string; datatype: string; shape: string[] }> }>(pl, 'modelMetadata', {
      name: 'simple_string',
      version: '1',
    });
    expect(md.inputs.map((i) => [i.name, i.datatype, i.shape])).toEqual([
      ['INPUT0', 'BYTES', ['-1', '16']],
      ['INPUT1', 'BYTES', ['-1', '16']],
    ]);
  });

  test('ModelConfig returns the completed config with Triton field values', async () => {
    const { config } = await call<ModelConfigResponse>(gen, 'modelConfig', { name: 'simple', version: '' });
    expect(config?.name).toBe('simple');
    expect(config?.platform).toBe('onnxruntime_onnx');
    expect(config?.backend).toBe('onnxruntime');
    expect(config?.maxBatchSize).toBe(8);
    expect(config?.input.map((i) => [i.name, i.dataType, i.dims])).toEqual([
      ['INPUT0', DataType.TYPE_INT32, [16n]],
      ['INPUT1', DataType.TYPE_INT32, [16n]],
    ]);
    expect(config?.versionPolicy).toEqual({ latest: { numVersions: 1 } });
    expect(config?.instanceGroup).toHaveLength(1);
    expect(config?.instanceGroup[0].count).toBe(1);
    const viaPl = await call<{ config: { max_batch_size: number; input: Array<{ data_type: string }> } }>(pl, 'modelConfig', {
      name: 'mlp',
      version: '1',
    });
    expect(viaPl.config.max_batch_size).toBe(8);
    expect(viaPl.config.input[0].data_type).toBe('TYPE_FP32');
  });
});

describe('ModelInfer', () => {
  test('simple via ts-proto: sum and difference, id echoed, raw outputs', async () => {
    const res = await call<ModelInferResponse>(gen, 'modelInfer', simpleRequest('req-1'));
    expect(res.id).toBe('req-1');
    expect(res.modelName).toBe('simple');
    expect(res.modelVersion).toBe('1');
    expect(res.outputs.map((o) => [o.name, o.datatype, o.shape])).toEqual([
      ['OUTPUT0', 'INT32', [1n, 16n]],
      ['OUTPUT1', 'INT32', [1n, 16n]],
    ]);
    expect(int32Values(res.rawOutputContents[0])).toEqual(A.map((a, i) => a + B[i]));
    expect(int32Values(res.rawOutputContents[1])).toEqual(A.map((a, i) => a - B[i]));
  });

  test('simple via proto-loader with typed contents in and typed contents out', async () => {
    const res = await call<{ id: string; outputs: Array<{ name: string; contents: { int_contents: number[] } }>; raw_output_contents: Buffer[] }>(
      pl,
      'modelInfer',
      {
        model_name: 'simple',
        id: 'typed',
        parameters: { binary_data_output: { bool_param: false } },
        inputs: [
          { name: 'INPUT0', datatype: 'INT32', shape: [2, 16], contents: { int_contents: [...A, ...A] } },
          { name: 'INPUT1', datatype: 'INT32', shape: [2, 16], contents: { int_contents: [...B, ...A] } },
        ],
        outputs: [{ name: 'OUTPUT1' }],
      },
    );
    expect(res.id).toBe('typed');
    expect(res.raw_output_contents).toEqual([]);
    expect(res.outputs.map((o) => o.name)).toEqual(['OUTPUT1']);
    expect(res.outputs[0].contents.int_contents).toEqual([...A.map((a, i) => a - B[i]), ...A.map(() => 0)]);
  });

  test('simple_string: BYTES decimal strings in, BYTES strings out', async () => {
    const enc = (values: string[]) =>
      Buffer.concat(values.flatMap((v) => [Buffer.from(new Uint32Array([Buffer.byteLength(v)]).buffer), Buffer.from(v)]));
    const x = A.map((a) => String(a * 3));
    const y = A.map((a) => String(-a));
    const res = await call<ModelInferResponse>(gen, 'modelInfer', {
      modelName: 'simple_string',
      modelVersion: '',
      id: '',
      parameters: {},
      inputs: [
        { name: 'INPUT0', datatype: 'BYTES', shape: [1n, 16n], parameters: {} },
        { name: 'INPUT1', datatype: 'BYTES', shape: [1n, 16n], parameters: {} },
      ],
      outputs: [{ name: 'OUTPUT0', parameters: {} }],
      rawInputContents: [enc(x), enc(y)],
    });
    const out = res.rawOutputContents[0];
    const strings: string[] = [];
    for (let off = 0; off < out.length; ) {
      const len = out.readUInt32LE(off);
      strings.push(out.subarray(off + 4, off + 4 + len).toString());
      off += 4 + len;
    }
    expect(strings).toEqual(A.map((a) => String(a * 3 - a)));
  });

  test('mlp: FP32 softmax rows sum to 1', async () => {
    const input = new Float32Array([0.5, -1, 2, 0.25, 1, 1, 1, 1]);
    const res = await call<ModelInferResponse>(gen, 'modelInfer', {
      modelName: 'mlp',
      modelVersion: '1',
      id: '',
      parameters: {},
      inputs: [{ name: 'INPUT', datatype: 'FP32', shape: [2n, 4n], parameters: {} }],
      outputs: [],
      rawInputContents: [Buffer.from(input.buffer)],
    });
    expect(res.outputs[0].shape).toEqual([2n, 3n]);
    const raw = res.rawOutputContents[0];
    const probs = new Float32Array(raw.buffer.slice(raw.byteOffset, raw.byteOffset + raw.byteLength));
    expect(probs[0] + probs[1] + probs[2]).toBeCloseTo(1, 5);
    expect(probs[3] + probs[4] + probs[5]).toBeCloseTo(1, 5);
    expect(probs[0]).not.toBeCloseTo(probs[3], 5);
  });

  test('ModelStreamInfer answers a request with its result, then ends cleanly after half-close', async () => {
    const stream = (gen as unknown as { modelStreamInfer(): grpc.ClientDuplexStream<unknown, ModelStreamInferResponse> }).modelStreamInfer();
    const messages: ModelStreamInferResponse[] = [];
    await new Promise<void>((resolve, reject) => {
      stream.on('error', reject);
      stream.on('data', (m: ModelStreamInferResponse) => messages.push(m));
      stream.on('end', resolve);
      stream.write(simpleRequest('s'));
      stream.end();
    });
    expect(messages).toHaveLength(1);
    expect(messages[0].errorMessage).toBe('');
    expect(messages[0].inferResponse?.id).toBe('s');
    expect(int32Values(messages[0].inferResponse!.rawOutputContents[0])).toEqual(A.map((a, i) => a + B[i]));
  });
});

describe('ModelStatistics', () => {
  test('counts successes, failures, executions and durations per version', async () => {
    const before = await call<ModelStatisticsResponse>(gen, 'modelStatistics', { name: 'simple', version: '1' });
    const s0 = before.modelStats[0];
    await call(gen, 'modelInfer', simpleRequest('a'));
    await call(gen, 'modelInfer', { ...simpleRequest('b'), rawInputContents: [int32Bytes(A), int32Bytes(A)] });
    await callError(gen, 'modelInfer', { ...simpleRequest('bad'), rawInputContents: [int32Bytes([1]), int32Bytes(A)] });
    const after = await call<ModelStatisticsResponse>(gen, 'modelStatistics', { name: 'simple', version: '1' });
    const s1 = after.modelStats[0];
    expect(s1.name).toBe('simple');
    expect(s1.version).toBe('1');
    expect(s1.inferenceCount - s0.inferenceCount).toBe(2n);
    expect(s1.executionCount - s0.executionCount).toBe(2n);
    const st = s1.inferenceStats!;
    const st0 = s0.inferenceStats!;
    expect(st.success!.count - st0.success!.count).toBe(2n);
    expect(st.queue!.count - st0.queue!.count).toBe(2n);
    expect(st.computeInfer!.count - st0.computeInfer!.count).toBe(2n);
    expect(st.computeInfer!.ns).toBeGreaterThan(st0.computeInfer!.ns);
    expect(st.computeInput!.ns).toBeGreaterThan(0n);
    expect(st.computeOutput!.ns).toBeGreaterThan(0n);
    expect(s1.batchStats.find((b) => b.batchSize === 1n)?.computeInfer?.count).toBeGreaterThanOrEqual(2n);
    expect(s1.lastInference).toBeGreaterThan(0n);
    // The malformed request was rejected while decoding, before it reached the model: not a model failure.
    expect(st.fail!.count).toBe(st0.fail!.count);
    const all = await call<{ model_stats: Array<{ name: string }> }>(pl, 'modelStatistics', {});
    expect(all.model_stats.map((m) => m.name).sort()).toEqual(['generator', 'mlp', 'simple', 'simple_string']);
  });

  test('unknown model is NOT_FOUND', async () => {
    expect((await callError(gen, 'modelStatistics', { name: 'nope', version: '' })).code).toBe(grpc.status.NOT_FOUND);
  });
});

describe('repository RPCs', () => {
  test('RepositoryIndex lists every model with version and state (both clients)', async () => {
    const idx = await call<RepositoryIndexResponse>(gen, 'repositoryIndex', { repositoryName: '', ready: false });
    expect(idx.models).toEqual([
      { name: 'generator', version: '1', state: 'READY', reason: '' },
      { name: 'mlp', version: '1', state: 'READY', reason: '' },
      { name: 'simple', version: '1', state: 'READY', reason: '' },
      { name: 'simple_string', version: '1', state: 'READY', reason: '' },
    ]);
    const viaPl = await call<{ models: unknown[] }>(pl, 'repositoryIndex', { ready: true });
    expect(viaPl.models).toHaveLength(4);
  });

  test('load and unload are refused in control mode none', async () => {
    const err = await callError(gen, 'repositoryModelLoad', { repositoryName: '', modelName: 'simple', parameters: {} });
    expect(err.code).toBe(grpc.status.FAILED_PRECONDITION);
    expect(err.details).toMatch(/--model-control-mode explicit/);
    const err2 = await callError(pl, 'repositoryModelUnload', { model_name: 'simple' });
    expect(err2.code).toBe(grpc.status.FAILED_PRECONDITION);
  });
});

describe('health and reflection', () => {
  function healthClient(): grpc.Client {
    const def = protoLoader.loadSync(require.resolve('grpc-health-check/proto/health/v1/health.proto'), { keepCase: true, enums: String });
    const pkg = grpc.loadPackageDefinition(def) as unknown as { grpc: { health: { v1: { Health: typeof grpc.Client } } } };
    return new pkg.grpc.health.v1.Health(server.address, grpc.credentials.createInsecure());
  }

  test('grpc.health.v1 reports the server, the service and each model', async () => {
    const client = healthClient();
    expect(await call(client, 'Check', { service: '' })).toEqual({ status: 'SERVING' });
    expect(await call(client, 'Check', { service: 'inference.GRPCInferenceService' })).toEqual({ status: 'SERVING' });
    expect(await call(client, 'Check', { service: 'simple' })).toEqual({ status: 'SERVING' });
    const err = await callError(client, 'Check', { service: 'no_such_model' });
    expect(err.code).toBe(grpc.status.NOT_FOUND);
    client.close();
  });

  test('server reflection lists the services and serves the inference proto', async () => {
    const reflectionProto = path.join(path.dirname(require.resolve('@grpc/reflection')), '../proto/grpc/reflection/v1/reflection.proto');
    const def = protoLoader.loadSync(reflectionProto, { keepCase: true });
    const pkg = grpc.loadPackageDefinition(def) as unknown as {
      grpc: { reflection: { v1: { ServerReflection: typeof grpc.Client } } };
    };
    const client = new pkg.grpc.reflection.v1.ServerReflection(server.address, grpc.credentials.createInsecure());
    const stream = (client as unknown as { ServerReflectionInfo(): grpc.ClientDuplexStream<unknown, any> }).ServerReflectionInfo();
    const answers: any[] = [];
    const done = new Promise<void>((resolve, reject) => {
      stream.on('data', (d) => {
        answers.push(d);
        if (answers.length === 2) stream.end();
      });
      stream.on('end', resolve);
      stream.on('error', reject);
    });
    stream.write({ list_services: '' });
    stream.write({ file_containing_symbol: 'inference.GRPCInferenceService' });
    await done;
    const services = answers[0].list_services_response.service.map((s: { name: string }) => s.name);
    expect(services).toEqual(expect.arrayContaining(['inference.GRPCInferenceService', 'grpc.health.v1.Health']));
    expect(answers[1].file_descriptor_response.file_descriptor_proto.length).toBeGreaterThan(0);
    client.close();
  });
});

// `inferd serve` as its own process configured only by the standard OTEL_* environment variables: its spans reach
// the OTLP/gRPC receiver with the service name, resource attributes and sampler from the environment.

import * as grpc from '@grpc/grpc-js';
import { startServerProcess, type ServerProcess } from '../../bench/server-process';
import { OtlpReceiver } from '../support/otlp/receiver';
import { call, int32Bytes, MODELS_DIR, tsProtoClient } from '../support/server';

let receiver: OtlpReceiver;
let server: ServerProcess;

beforeAll(async () => {
  receiver = await new OtlpReceiver().start();
  server = await startServerProcess(['--model-repository', MODELS_DIR, '--drift-sample-every', '0'], 60_000, {
    OTEL_EXPORTER_OTLP_ENDPOINT: receiver.endpoint,
    OTEL_SERVICE_NAME: 'inferd-from-env',
    OTEL_RESOURCE_ATTRIBUTES: 'deployment.environment=staging',
    OTEL_TRACES_SAMPLER: 'traceidratio',
    OTEL_TRACES_SAMPLER_ARG: '1',
    OTEL_BSP_SCHEDULE_DELAY: '50',
  });
}, 60_000);

afterAll(async () => {
  await server?.stop();
  await receiver.stop();
});

test('spans of a process configured by OTEL_* variables arrive with its resource', async () => {
  const client = tsProtoClient(server.address);
  const request = {
    modelName: 'simple',
    modelVersion: '',
    id: 'env-1',
    parameters: {},
    inputs: ['INPUT0', 'INPUT1'].map((name) => ({ name, datatype: 'INT32', shape: [1n, 16n], parameters: {}, contents: undefined })),
    outputs: [],
    rawInputContents: [int32Bytes(new Array(16).fill(1)), int32Bytes(new Array(16).fill(1))],
  };
  const md = new grpc.Metadata();
  md.set('traceparent', '00-5bf92f3577b34da6a3ce929d0e0e4736-10f067aa0ba902b7-01');
  await call(client, 'modelInfer', request, {}, md);
  client.close();
  const spans = await receiver.waitForTrace('5bf92f3577b34da6a3ce929d0e0e4736', 3);
  expect(spans.map((s) => s.name).sort()).toEqual(['compute', 'inference.GRPCInferenceService/ModelInfer', 'queue']);
  expect(spans[0].resource).toMatchObject({ 'service.name': 'inferd-from-env', 'deployment.environment': 'staging' });
});

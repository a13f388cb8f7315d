// Log lines of significant events: model state changes, a load error with its cause, a rejected request (debug)
// and a slow request (warn), the request lines carrying the trace_id / span_id of the request's trace.

import * as grpc from '@grpc/grpc-js';
import { InMemorySpanExporter } from '@opentelemetry/sdk-trace-base';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { InferdServer } from '../../src/server';
import { captureLogs, type CapturedLogs } from '../support/log-capture';
import { call, callError, FIXTURES_DIR, int32Bytes, MODELS_DIR, tempRepository, testSettings, tsProtoClient } from '../support/server';

let server: InferdServer;
let client: grpc.Client;
let logs: CapturedLogs;
const TRACE = '0af7651916cd43dd8448eb211c80319c';

beforeAll(async () => {
  const repo = await tempRepository({
    simple: path.join(MODELS_DIR, 'simple'),
    slow: path.join(FIXTURES_DIR, 'slow'),
  });
  await fs.mkdir(path.join(repo, 'corrupt/1'), { recursive: true });
  await fs.copyFile(path.join(FIXTURES_DIR, 'corrupt/model.onnx'), path.join(repo, 'corrupt/1/model.onnx'));
  logs = captureLogs('debug');
  // Every slow-model request runs 400 chained 256×256 MatMuls: far above a 1 ms threshold on any machine.
  server = await new InferdServer(testSettings({ modelRepository: repo, telemetry: { slowRequestMs: 1 } }), logs.log, new InMemorySpanExporter()).start();
  client = tsProtoClient(server.address);
});

afterAll(async () => {
  client.close();
  await server.stop();
});

const traced = (spanId: string): grpc.Metadata => {
  const md = new grpc.Metadata();
  md.set('traceparent', `00-${TRACE}-${spanId}-01`);
  return md;
};

test('model state changes and a load error with its cause', () => {
  const states = logs.find('model state').filter((l) => l.model === 'simple').map((l) => l.state);
  expect(states).toEqual(['LOADING', 'READY']);
  const corrupt = logs.find('model state').filter((l) => l.model === 'corrupt');
  expect(corrupt.map((l) => l.state)).toEqual(['LOADING', 'UNAVAILABLE']);
  expect(String(corrupt[1].reason)).toMatch(/onnxruntime could not load the model: .*Protobuf parsing failed/);
  const failed = logs.find('model failed to load');
  expect(failed.map((l) => l.model)).toEqual(['corrupt']);
  expect(String(failed[0].err)).toContain('Protobuf parsing failed');
});

test('a rejected request is logged at debug with its trace ids', async () => {
  const bad = {
    modelName: 'simple',
    modelVersion: '',
    id: 'rejected-1',
    parameters: {},
    inputs: [{ name: 'INPUT0', datatype: 'INT32', shape: [1n, 16n], parameters: {}, contents: undefined }],
    outputs: [],
    rawInputContents: [int32Bytes(new Array(16).fill(0))],
  };
  const err = await callError(client, 'modelInfer', bad, {}).catch(() => null);
  expect(err?.code).toBe(grpc.status.INVALID_ARGUMENT);
  await call(client, 'modelInfer', bad, {}, traced('b7ad6b7169203331')).catch(() => undefined);
  const rejected = logs.find('request rejected');
  expect(rejected.length).toBe(2);
  expect(rejected[0]).toMatchObject({ level: 20, method: 'ModelInfer' });
  expect(String(rejected[0].err)).toContain("input 'INPUT1'");
  expect(rejected[1]).toMatchObject({ trace_id: TRACE });
  expect(rejected[1].span_id).toMatch(/^[0-9a-f]{16}$/);
  expect(rejected[1].span_id).not.toBe('b7ad6b7169203331');
});

test('a request over --slow-request-ms is logged at warn with its timings and trace ids', async () => {
  const request = {
    modelName: 'slow',
    modelVersion: '',
    id: 'slow-1',
    parameters: {},
    inputs: [{ name: 'INPUT', datatype: 'FP32', shape: [1n, 256n], parameters: {}, contents: undefined }],
    outputs: [],
    rawInputContents: [Buffer.from(new Float32Array(256).fill(0.5).buffer)],
  };
  await call(client, 'modelInfer', request, {}, traced('00f067aa0ba902b7'));
  const slow = logs.find('slow request');
  expect(slow).toHaveLength(1);
  expect(slow[0]).toMatchObject({ level: 40, model: 'slow', version: 1, request_id: 'slow-1', outcome: 'ok', batch_size: 1, trace_id: TRACE });
  expect(slow[0].duration_ms).toBeGreaterThanOrEqual(1);
  expect(slow[0].compute_ms).toBeGreaterThan(0);
  expect(slow[0].duration_ms as number).toBeGreaterThanOrEqual(slow[0].compute_ms as number);
});

// /metrics after known traffic: Triton's counters move by exactly the requests sent (and equal ModelStatistics),
// histograms count them, gRPC server metrics by method and code, process and host gauges, the exposition format,
// configurable buckets, and one registry per server in the same process.

import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import * as grpc from '@grpc/grpc-js';
import type { ModelStatisticsResponse } from '../../generated/inference/grpc_service';
import type { InferdServer } from '../../src/server';
import { scrape, type Scrape } from '../support/scrape';
import { call, callError, int32Bytes, REPO_ROOT, startServer, tsProtoClient } from '../support/server';

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

function simpleRequest(rows: number, width = 16) {
  return {
    modelName: 'simple',
    modelVersion: '1',
    id: '',
    parameters: {},
    inputs: ['INPUT0', 'INPUT1'].map((name) => ({ name, datatype: 'INT32', shape: [BigInt(rows), BigInt(width)], parameters: {}, contents: undefined })),
    outputs: [],
    rawInputContents: [int32Bytes(new Array(rows * width).fill(1)), int32Bytes(new Array(rows * width).fill(2))],
  };
}

const M = { model: 'simple', version: '1' };
const delta = (before: Scrape, after: Scrape, name: string, labels: Record<string, string> = M): number =>
  (after.value(name, labels) ?? 0) - (before.value(name, labels) ?? 0);

test('counters and histograms move by exactly the traffic sent', async () => {
  const before = await scrape(server.metricsPort);
  for (let i = 0; i < 5; i++) await call(client, 'modelInfer', simpleRequest(2));
  for (let i = 0; i < 2; i++) expect((await callError(client, 'modelInfer', simpleRequest(1, 15))).code).toBe(grpc.status.INVALID_ARGUMENT);
  const after = await scrape(server.metricsPort);

  expect(delta(before, after, 'nv_inference_request_success')).toBe(5);
  expect(delta(before, after, 'nv_inference_count')).toBe(10);
  expect(delta(before, after, 'nv_inference_exec_count')).toBe(5);
  expect(delta(before, after, 'nv_inference_request_failure', { ...M, reason: 'REJECTED' })).toBe(2);
  expect(delta(before, after, 'nv_inference_queue_duration_us')).toBeGreaterThan(0);
  expect(delta(before, after, 'nv_inference_compute_infer_duration_us')).toBeGreaterThan(0);
  expect(after.value('nv_inference_pending_request_count', M)).toBe(0);

  expect(delta(before, after, 'inferd_inference_request_duration_seconds_count')).toBe(5);
  expect(delta(before, after, 'inferd_inference_queue_duration_seconds_count')).toBe(5);
  expect(delta(before, after, 'inferd_inference_compute_duration_seconds_count')).toBe(5);
  expect(delta(before, after, 'inferd_inference_batch_size_count')).toBe(5);
  expect(delta(before, after, 'inferd_inference_batch_size_sum')).toBe(10);
  expect(delta(before, after, 'inferd_inference_batch_size_bucket', { ...M, le: '1' })).toBe(0);
  expect(delta(before, after, 'inferd_inference_batch_size_bucket', { ...M, le: '2' })).toBe(5);

  const grpcLabels = { grpc_service: 'inference.GRPCInferenceService', grpc_method: 'ModelInfer', grpc_type: 'unary' };
  expect(delta(before, after, 'grpc_server_started_total', grpcLabels)).toBe(7);
  expect(delta(before, after, 'grpc_server_handled_total', { ...grpcLabels, grpc_code: 'OK' })).toBe(5);
  expect(delta(before, after, 'grpc_server_handled_total', { ...grpcLabels, grpc_code: 'INVALID_ARGUMENT' })).toBe(2);
  expect(delta(before, after, 'grpc_server_handling_seconds_count', grpcLabels)).toBe(7);
});

test('ModelStatistics and /metrics read the same counters', async () => {
  await call(client, 'modelInfer', simpleRequest(3));
  const stats = await call<ModelStatisticsResponse>(client, 'modelStatistics', { name: 'simple', version: '1' });
  const metrics = await scrape(server.metricsPort);
  const s = stats.modelStats[0];
  expect(metrics.value('nv_inference_request_success', M)).toBe(Number(s.inferenceStats?.success?.count));
  expect(metrics.value('nv_inference_count', M)).toBe(Number(s.inferenceCount));
  expect(metrics.value('nv_inference_exec_count', M)).toBe(Number(s.executionCount));
  expect(metrics.value('nv_inference_request_failure', { ...M, reason: 'REJECTED' })).toBe(Number(s.inferenceStats?.fail?.count));
  expect(metrics.value('nv_inference_queue_duration_us', M)).toBe(Math.round(Number(s.inferenceStats?.queue?.ns) / 1000));
});

test('exposition format, histogram layout, model, host and process metrics', async () => {
  const m = await scrape(server.metricsPort);
  expect(m.status).toBe(200);
  expect(m.contentType).toMatch(/^text\/plain; version=0\.0\.4/);
  expect(m.text).toContain('# TYPE nv_inference_request_success counter');
  expect(m.text).toContain('# HELP nv_inference_request_success Number of successful inference requests');
  expect(m.text).toContain('# TYPE inferd_inference_request_duration_seconds histogram');
  expect(m.text).toContain('# TYPE nv_inference_pending_request_count gauge');
  const buckets = m.samples('inferd_inference_request_duration_seconds_bucket').filter((b) => b.labels.model === 'simple');
  const les = buckets.map((b) => b.labels.le);
  expect(les[les.length - 1]).toBe('+Inf');
  expect(les).toContain('0.001');
  for (let i = 1; i < buckets.length; i++) expect(buckets[i].value).toBeGreaterThanOrEqual(buckets[i - 1].value);
  expect(buckets[buckets.length - 1].value).toBe(m.value('inferd_inference_request_duration_seconds_count', M));
  expect(m.value('nv_model_load_duration_secs', M)).toBeGreaterThan(0);
  expect(m.value('nv_cpu_memory_total_bytes')).toBeGreaterThan(0);
  expect(m.value('nv_cpu_memory_used_bytes')).toBeGreaterThan(0);
  const cpu = m.value('nv_cpu_utilization') as number;
  expect(cpu).toBeGreaterThanOrEqual(0);
  expect(cpu).toBeLessThanOrEqual(1);
  expect(m.value('process_cpu_user_seconds_total')).toBeGreaterThan(0);
  expect(m.text).toContain('# TYPE nodejs_heap_size_used_bytes gauge');
  expect((await scrape(server.metricsPort, '/other')).status).toBe(404);
});

test('configured buckets, one registry per server, and metrics off', async () => {
  const other = await startServer({ telemetry: { latencyBucketsSeconds: [0.5, 2] } });
  const off = await startServer({ telemetry: { metricsEnabled: false } });
  const otherClient = tsProtoClient(other.address);
  try {
    await call(otherClient, 'modelInfer', simpleRequest(1));
    const m = await scrape(other.metricsPort);
    expect(m.samples('inferd_inference_request_duration_seconds_bucket').map((b) => b.labels.le)).toEqual(['0.5', '2', '+Inf']);
    expect(m.value('nv_inference_request_success', M)).toBe(1);
    expect(m.value('grpc_server_handled_total', { grpc_service: 'inference.GRPCInferenceService', grpc_method: 'ModelInfer', grpc_type: 'unary', grpc_code: 'OK' })).toBe(1);
    expect((await scrape(server.metricsPort)).value('nv_inference_request_success', M)).toBeGreaterThan(1);
    expect(off.metricsPort).toBe(0);
    expect(off.telemetry.metrics).toBeNull();
  } finally {
    otherClient.close();
    await other.stop();
    await off.stop();
  }
});

test('every metric the Grafana dashboard queries is exported', async () => {
  const dashboard = JSON.parse(await fs.readFile(path.join(REPO_ROOT, 'helm/inferd/dashboards/inferd.json'), 'utf8')) as {
    panels: Array<{ targets: Array<{ expr: string }> }>;
  };
  const exprs = dashboard.panels.flatMap((p) => p.targets.map((t) => t.expr));
  const names = new Set(exprs.flatMap((e) => e.match(/\b(?:nv|inferd|grpc_server|process|nodejs)_[a-z0-9_]+/g) ?? []));
  expect(names.size).toBeGreaterThan(10);
  const m = await scrape(server.metricsPort);
  const types = new Set([...m.text.matchAll(/^# TYPE (\S+) /gm)].map((x) => x[1]));
  const missing = [...names].filter((name) => ![name, name.replace(/_(bucket|sum|count)$/, '')].some((n) => types.has(n)));
  expect(missing).toEqual([]);
});

// The span layout telemetry builds from the scheduler's ExecutionObserver contract, driven directly (a real tracer
// provider with an in-memory exporter): one `execution` span linked to every request of a shared execution, per
// request `compute` spans, and the stream helper (one span per stream, a child span per request).

import { trace, type Context } from '@opentelemetry/api';
import { InMemorySpanExporter, type ReadableSpan } from '@opentelemetry/sdk-trace-base';
import pino from 'pino';
import { InferenceTelemetry, type InferenceObservation } from '../../src/telemetry/inference-telemetry';
import { RpcTelemetry } from '../../src/telemetry/rpc-telemetry';
import { nowNs, Tracing } from '../../src/telemetry/tracing';

let exporter: InMemorySpanExporter;
let tracing: Tracing;
let rpc: RpcTelemetry;
let inference: InferenceTelemetry;

beforeEach(() => {
  exporter = new InMemorySpanExporter();
  tracing = new Tracing({ endpoint: '', serviceName: 't', serviceVersion: '0', sampler: 'always_on', samplerArg: '', resourceAttributes: '', exporter });
  rpc = new RpcTelemetry(null, tracing);
  inference = new InferenceTelemetry(null, tracing, null, pino({ level: 'silent' }), 0);
});

afterEach(() => tracing.shutdown());

const noHeaders = (): undefined => undefined;

function request(id: string, context: Context | undefined): InferenceObservation {
  return inference.begin({ model: 'm', version: 3, id, trace: context, inputs: [], rows: 1, startedNs: nowNs() });
}

async function finished(): Promise<ReadableSpan[]> {
  await tracing.forceFlush();
  return exporter.getFinishedSpans();
}

test('an execution shared by three requests gives one execution span linked to each request span', async () => {
  const rpcs = ['a', 'b', 'c'].map(() => rpc.begin('svc', 'ModelInfer', 'unary', noHeaders));
  const requests = rpcs.map((r, i) => request(`r${i}`, r.context));
  const t0 = nowNs();
  for (const r of requests) r.dequeued(t0);
  const record = { batchSize: 6, requests, startNs: t0, inferStartNs: t0 + 10, inferEndNs: t0 + 20, endNs: t0 + 30 };
  for (const r of requests) r.executed(record);
  requests.forEach((r) => r.succeeded(1000));
  rpcs.forEach((r) => r.end(0, 'OK'));

  const spans = await finished();
  const executions = spans.filter((s) => s.name === 'execution');
  expect(executions).toHaveLength(1);
  const ex = executions[0];
  const rpcSpanIds = spans.filter((s) => s.name === 'svc/ModelInfer').map((s) => s.spanContext().spanId);
  expect(rpcSpanIds).toHaveLength(3);
  expect(ex.links.map((l) => l.context.spanId).sort()).toEqual([...rpcSpanIds].sort());
  expect(ex.parentSpanContext).toBeUndefined();
  expect(ex.attributes).toMatchObject({ 'model.name': 'm', 'model.version': '3', 'inferd.batch.size': 6, 'inferd.batch.requests': 3 });
  expect(ex.attributes['request.id']).toBeUndefined();
  expect(ex.events.map((e) => e.name)).toEqual(['compute_input', 'compute_infer', 'compute_output']);

  const computes = spans.filter((s) => s.name === 'compute');
  expect(computes.map((s) => s.attributes['request.id']).sort()).toEqual(['r0', 'r1', 'r2']);
  for (const c of computes) expect(rpcSpanIds).toContain(c.parentSpanContext?.spanId);
});

test('untraced requests in a shared execution are not linked; an execution with none traced has no span', async () => {
  const traced = rpc.begin('svc', 'ModelInfer', 'unary', noHeaders);
  const requests = [request('traced', traced.context), request('plain', undefined)];
  const t0 = nowNs();
  const record = { batchSize: 2, requests, startNs: t0, inferStartNs: t0, inferEndNs: t0, endNs: t0 };
  for (const r of requests) r.executed(record);
  const untraced = [request('x', undefined), request('y', undefined)];
  for (const r of untraced) r.executed({ ...record, requests: untraced });
  traced.end(0, 'OK');
  const spans = await finished();
  const executions = spans.filter((s) => s.name === 'execution');
  expect(executions).toHaveLength(1);
  expect(executions[0].links.map((l) => l.context.spanId)).toEqual([traced.context && trace.getSpan(traced.context)?.spanContext().spanId]);
});

test('a request that fails after leaving the queue gets a compute span with the error', async () => {
  const r = rpc.begin('svc', 'ModelInfer', 'unary', noHeaders);
  const req = request('failing', r.context);
  req.dequeued(nowNs());
  const err = Object.assign(new Error("model 'm' version 3: instance died"), { code: 'UNAVAILABLE' });
  req.failed(err, 5000);
  r.end(14, 'UNAVAILABLE', err);
  const spans = await finished();
  const compute = spans.find((s) => s.name === 'compute') as ReadableSpan;
  expect(compute.status).toEqual({ code: 2, message: "model 'm' version 3: instance died" });
  expect(compute.events.map((e) => e.name)).toEqual(['exception']);
  const rpcSpan = spans.find((s) => s.name === 'svc/ModelInfer') as ReadableSpan;
  expect(rpcSpan.attributes['rpc.grpc.status_code']).toBe(14);
  expect(rpcSpan.status.code).toBe(2);
});

test('streams: one span per stream with a child span per request, and the request context nests queue/compute', async () => {
  const stream = rpc.begin('svc', 'ModelStreamInfer', 'bidi_stream', noHeaders);
  const first = stream.requestSpan();
  const req = request('s1', first.context);
  const t0 = nowNs();
  req.dequeued(t0);
  req.executed({ batchSize: 1, requests: [req], startNs: t0, inferStartNs: t0, inferEndNs: t0, endNs: t0 });
  req.succeeded(100);
  first.end();
  const second = stream.requestSpan();
  second.end(new Error('bad tensor'));
  stream.end(0, 'OK');
  const spans = await finished();
  const streamSpan = spans.find((s) => s.name === 'svc/ModelStreamInfer') as ReadableSpan;
  const children = spans.filter((s) => s.name === 'svc/ModelStreamInfer request');
  expect(children).toHaveLength(2);
  for (const c of children) expect(c.parentSpanContext?.spanId).toBe(streamSpan.spanContext().spanId);
  expect(children.map((c) => c.status.code).sort()).toEqual([0, 2]);
  const queue = spans.find((s) => s.name === 'queue') as ReadableSpan;
  expect(queue.parentSpanContext?.spanId).toBe(children.find((c) => c.status.code === 0)?.spanContext().spanId);
});

test('with tracing off no span is created and the stream helper hands out no context', () => {
  const off = new RpcTelemetry(null, null);
  const r = off.begin('svc', 'ModelInfer', 'unary', noHeaders);
  expect(r.context).toBeUndefined();
  expect(r.requestSpan().context).toBeUndefined();
  expect(r.logFields()).toEqual({});
});

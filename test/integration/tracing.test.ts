// Traces through a real OTLP/gRPC receiver: the span tree of a ModelInfer (RPC → queue, compute with its events),
// the caller's W3C trace continued, attributes, error status on rejected and cancelled requests, and two servers in
// one process each exporting to its own receiver (one with tracing off exports nothing).

import * as grpc from '@grpc/grpc-js';
import type { InferdServer } from '../../src/server';
import { OtlpReceiver, type ReceivedSpan } from '../support/otlp/receiver';
import { call, FIXTURES_DIR, int32Bytes, startServer, tempRepository, tsProtoClient, MODELS_DIR } from '../support/server';

let receiver: OtlpReceiver;
let server: InferdServer;
let client: grpc.Client;

const CALLER_TRACE = '4bf92f3577b34da6a3ce929d0e0e4736';
const CALLER_SPAN = '00f067aa0ba902b7';

beforeAll(async () => {
  receiver = await new OtlpReceiver().start();
  const repo = await tempRepository({ simple: `${MODELS_DIR}/simple`, slow: `${FIXTURES_DIR}/slow` });
  server = await startServer({
    modelRepository: repo,
    defaultMaxBatchSize: 64,
    telemetry: { otlpEndpoint: receiver.endpoint, serviceName: 'inferd-test', resourceAttributes: 'deployment.environment=test,team=ml%20infra' },
  });
  client = tsProtoClient(server.address);
});

afterAll(async () => {
  client.close();
  await server.stop();
  await receiver.stop();
});

function simpleRequest(id: string, rows = 1) {
  return {
    modelName: 'simple',
    modelVersion: '',
    id,
    parameters: {},
    inputs: ['INPUT0', 'INPUT1'].map((name) => ({ name, datatype: 'INT32', shape: [BigInt(rows), 16n], parameters: {}, contents: undefined })),
    outputs: [],
    rawInputContents: [int32Bytes(new Array(16 * rows).fill(2)), int32Bytes(new Array(16 * rows).fill(3))],
  };
}

function slowRequest(id: string, rows: number) {
  return {
    modelName: 'slow',
    modelVersion: '',
    id,
    parameters: {},
    inputs: [{ name: 'INPUT', datatype: 'FP32', shape: [BigInt(rows), 256n], parameters: {}, contents: undefined }],
    outputs: [],
    rawInputContents: [Buffer.from(new Float32Array(rows * 256).fill(0.01).buffer)],
  };
}

const traceparent = (traceId: string, spanId: string): grpc.Metadata => {
  const md = new grpc.Metadata();
  md.set('traceparent', `00-${traceId}-${spanId}-01`);
  md.set('tracestate', 'vendor=abc');
  return md;
};

type UnaryWithMetadata = {
  modelInfer: (r: unknown, m: grpc.Metadata, cb: (e: grpc.ServiceError) => void) => grpc.ClientUnaryCall;
};

/** Polls `condition`; fails (instead of hanging) if it does not hold within 25 s. */
async function until(condition: () => boolean): Promise<void> {
  const giveUp = Date.now() + 25_000;
  while (!condition()) {
    if (Date.now() > giveUp) throw new Error('condition never held');
    await new Promise((r) => setTimeout(r, 5));
  }
}

const byName = (spans: ReceivedSpan[], name: string): ReceivedSpan[] => spans.filter((s) => s.name === name);
const one = (spans: ReceivedSpan[], name: string): ReceivedSpan => {
  const found = byName(spans, name);
  expect(found.map((s) => s.name)).toEqual([name]);
  return found[0];
};

async function spansOf(traceId: string, count: number): Promise<ReceivedSpan[]> {
  await server.telemetry.tracing?.forceFlush();
  return receiver.waitForTrace(traceId, count);
}

test('ModelInfer continues the caller trace: RPC span → queue → compute, with attributes and events', async () => {
  await call(client, 'modelInfer', simpleRequest('req-1'), {}, traceparent(CALLER_TRACE, CALLER_SPAN));
  const spans = await spansOf(CALLER_TRACE, 3);
  expect(spans).toHaveLength(3);
  const rpc = one(spans, 'inference.GRPCInferenceService/ModelInfer');
  const queue = one(spans, 'queue');
  const compute = one(spans, 'compute');

  expect(rpc.parentSpanId).toBe(CALLER_SPAN);
  expect(rpc.kind).toBe(2); // SPAN_KIND_SERVER
  expect(rpc.attributes).toMatchObject({
    'rpc.system': 'grpc',
    'rpc.service': 'inference.GRPCInferenceService',
    'rpc.method': 'ModelInfer',
    'rpc.grpc.status_code': 0,
    'model.name': 'simple',
    'model.version': '1',
    'request.id': 'req-1',
  });
  expect(rpc.status.code).toBe(0);
  expect(rpc.resource).toMatchObject({ 'service.name': 'inferd-test', 'deployment.environment': 'test', team: 'ml infra' });

  for (const child of [queue, compute]) {
    expect(child.parentSpanId).toBe(rpc.spanId);
    expect(child.attributes).toMatchObject({ 'model.name': 'simple', 'model.version': '1', 'request.id': 'req-1' });
    expect(child.startNs).toBeGreaterThanOrEqual(rpc.startNs);
    expect(child.endNs).toBeLessThanOrEqual(rpc.endNs);
  }
  expect(queue.endNs).toBeLessThanOrEqual(compute.startNs);
  expect(compute.attributes).toMatchObject({ 'inferd.batch.size': 1, 'inferd.batch.requests': 1 });
  expect(compute.events.map((e) => e.name)).toEqual(['compute_input', 'compute_infer', 'compute_output']);
  const times = compute.events.map((e) => e.timeNs);
  expect(times[0]).toBeLessThanOrEqual(times[1]);
  expect(times[1]).toBeLessThanOrEqual(times[2]);
  expect(times[2]).toBeLessThanOrEqual(compute.endNs);
});

test('a call without traceparent starts a new trace at the RPC span', async () => {
  const before = new Set(receiver.spans.map((s) => s.traceId));
  await call(client, 'modelInfer', simpleRequest('req-root'));
  await server.telemetry.tracing?.forceFlush();
  const spans = await receiver.waitFor((all) => all.some((s) => s.attributes['request.id'] === 'req-root' && s.name.endsWith('ModelInfer')));
  const rpc = spans.find((s) => s.attributes['request.id'] === 'req-root' && s.name.endsWith('ModelInfer')) as ReceivedSpan;
  expect(before.has(rpc.traceId)).toBe(false);
  expect(rpc.parentSpanId).toBe('');
  const tree = await receiver.waitForTrace(rpc.traceId, 3);
  expect(tree.map((s) => s.name).sort()).toEqual(['compute', 'inference.GRPCInferenceService/ModelInfer', 'queue']);
});

test('a rejected request ends its RPC span with the error recorded (no queue span)', async () => {
  const trace = 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa1';
  const bad = simpleRequest('bad');
  bad.inputs[0].shape = [1n, 15n];
  const md = traceparent(trace, '1111111111111111');
  const err = await new Promise<grpc.ServiceError>((resolve) => (client as unknown as UnaryWithMetadata).modelInfer(bad, md, resolve));
  expect(err.code).toBe(grpc.status.INVALID_ARGUMENT);
  const [rpc] = await spansOf(trace, 1);
  await new Promise((r) => setTimeout(r, 100));
  expect(receiver.spans.filter((s) => s.traceId === trace)).toHaveLength(1);
  expect(rpc.attributes['rpc.grpc.status_code']).toBe(grpc.status.INVALID_ARGUMENT);
  expect(rpc.status.code).toBe(2); // STATUS_CODE_ERROR
  expect(rpc.status.message).toContain("input 'INPUT0'");
  const exception = rpc.events.find((e) => e.name === 'exception');
  expect(exception?.attributes['exception.message']).toContain("input 'INPUT0'");
});

test('a request cancelled while queued ends its queue span with the error; the running one completes', async () => {
  const runningTrace = 'bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb1';
  const queuedTrace = 'bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb2';
  const running = call(client, 'modelInfer', slowRequest('long', 64), {}, traceparent(runningTrace, '2222222222222222'));
  const scheduler = server.repository.resolve('slow', '').serving?.scheduler;
  await until(() => scheduler?.pending === 1);
  // The only instance is busy with the long request: this one waits in the queue until the client cancels it.
  let cancelledErr: grpc.ServiceError | null = null;
  const cancelledCall = (client as unknown as UnaryWithMetadata).modelInfer(slowRequest('cancelled', 1), traceparent(queuedTrace, '3333333333333333'), (e) => {
    cancelledErr = e;
  });
  await until(() => scheduler?.pending === 2);
  cancelledCall.cancel();
  await until(() => cancelledErr !== null);
  expect((cancelledErr as grpc.ServiceError | null)?.code).toBe(grpc.status.CANCELLED);
  await running;

  const spans = await spansOf(queuedTrace, 2);
  const rpc = one(spans, 'inference.GRPCInferenceService/ModelInfer');
  const queue = one(spans, 'queue');
  expect(byName(spans, 'compute')).toHaveLength(0);
  expect(queue.parentSpanId).toBe(rpc.spanId);
  expect(queue.status.code).toBe(2);
  expect(queue.status.message).toMatch(/cancel/);
  expect(rpc.status.code).toBe(2);
  expect(rpc.attributes['rpc.grpc.status_code']).toBe(grpc.status.CANCELLED);

  const done = await spansOf(runningTrace, 3);
  expect(one(done, 'compute').status.code).toBe(0);
  expect(one(done, 'inference.GRPCInferenceService/ModelInfer').attributes['request.id']).toBe('long');
});

test('every request span of an execution is linked from its execution span (batches), or computed alone', async () => {
  const ids = Array.from({ length: 12 }, (_, i) => `batch-${i}`);
  await Promise.all(ids.map((id) => call(client, 'modelInfer', simpleRequest(id))));
  await server.telemetry.tracing?.forceFlush();
  const spans = await receiver.waitFor((all) => ids.every((id) => all.some((s) => s.name === 'compute' && s.attributes['request.id'] === id)));
  const rpcSpans = new Map(
    spans.filter((s) => s.name.endsWith('/ModelInfer') && ids.includes(s.attributes['request.id'] as string)).map((s) => [s.spanId, s]),
  );
  const computes = spans.filter((s) => s.name === 'compute' && ids.includes(s.attributes['request.id'] as string));
  expect(computes).toHaveLength(ids.length);
  // A request that shared an execution is linked from exactly one execution span, which links every request in it.
  const linked = new Map<string, number>();
  for (const ex of spans.filter((s) => s.name === 'execution')) {
    expect(ex.links).toHaveLength(ex.attributes['inferd.batch.requests'] as number);
    for (const l of ex.links) linked.set(l.spanId, (linked.get(l.spanId) ?? 0) + 1);
  }
  for (const c of computes) {
    const rpc = rpcSpans.get(c.parentSpanId) as ReceivedSpan;
    expect(rpc).toBeDefined();
    const shared = (c.attributes['inferd.batch.requests'] as number) > 1;
    expect(linked.get(rpc.spanId) ?? 0).toBe(shared ? 1 : 0);
  }
});

test('a second server in the same process without tracing exports nothing and creates no tracer', async () => {
  const quiet = await startServer({ telemetry: { otlpEndpoint: '' } });
  const quietClient = tsProtoClient(quiet.address);
  try {
    expect(quiet.telemetry.tracing).toBeNull();
    await call(quietClient, 'modelInfer', simpleRequest('untraced'), {}, traceparent('cccccccccccccccccccccccccccccc01', '4444444444444444'));
    await server.telemetry.tracing?.forceFlush();
    await new Promise((r) => setTimeout(r, 200));
    expect(receiver.spans.filter((s) => s.attributes['request.id'] === 'untraced')).toHaveLength(0);
  } finally {
    quietClient.close();
    await quiet.stop();
  }
});

test('ModelStreamInfer: one span for the stream, a child per request, queue and compute under each request', async () => {
  const TRACE = '5a1f2e3d4c5b6a7980a1b2c3d4e5f607';
  const stream = (client as unknown as {
    modelStreamInfer(md: grpc.Metadata): grpc.ClientDuplexStream<unknown, { errorMessage: string }>;
  }).modelStreamInfer(traceparent(TRACE, CALLER_SPAN));
  const answers: Array<{ errorMessage: string }> = [];
  const ended = new Promise<void>((resolve, reject) => {
    stream.on('data', (d: { errorMessage: string }) => answers.push(d));
    stream.on('end', resolve);
    stream.on('error', reject);
  });
  stream.write(simpleRequest('s-1'));
  stream.write({ ...simpleRequest('s-bad'), modelName: 'no_such_model' });
  stream.end();
  await ended;
  expect(answers.map((a) => a.errorMessage === '')).toEqual(expect.arrayContaining([true, false]));

  const spans = await spansOf(TRACE, 5);
  const rpc = one(spans, 'inference.GRPCInferenceService/ModelStreamInfer');
  expect(rpc.parentSpanId).toBe(CALLER_SPAN);
  expect(rpc.attributes).toMatchObject({ 'rpc.method': 'ModelStreamInfer', 'rpc.grpc.status_code': 0 });
  const requests = byName(spans, 'inference.GRPCInferenceService/ModelStreamInfer request');
  expect(requests).toHaveLength(2);
  for (const r of requests) expect(r.parentSpanId).toBe(rpc.spanId);
  const failed = requests.filter((r) => r.status.code === 2);
  expect(failed).toHaveLength(1);
  const ok = requests.find((r) => r.status.code !== 2) as ReceivedSpan;
  expect(one(spans, 'queue').parentSpanId).toBe(ok.spanId);
  expect(one(spans, 'compute').parentSpanId).toBe(ok.spanId);
});

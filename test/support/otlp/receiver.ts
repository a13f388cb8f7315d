// A real OTLP/gRPC trace receiver for tests and benchmarks: a grpc-js server implementing
// opentelemetry.proto.collector.trace.v1.TraceService/Export (from trace_service.proto next to this file, loaded
// with proto-loader; nanosecond times kept as decimal strings) that keeps every span it receives, decoded.

import * as path from 'node:path';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';

/** How long a wait for spans may last before the test fails instead of hanging. */
const GIVE_UP_MS = 25_000;

export type AttributeValue = string | number | boolean | null;

export interface ReceivedSpan {
  traceId: string;
  spanId: string;
  /** '' for a root span. */
  parentSpanId: string;
  name: string;
  kind: number;
  startNs: bigint;
  endNs: bigint;
  attributes: Record<string, AttributeValue>;
  events: Array<{ name: string; timeNs: bigint; attributes: Record<string, AttributeValue> }>;
  links: Array<{ traceId: string; spanId: string }>;
  /** 0 unset, 1 ok, 2 error. */
  status: { code: number; message: string };
  resource: Record<string, AttributeValue>;
  scope: string;
}

interface WireKeyValue {
  key: string;
  value?: { string_value?: string; bool_value?: boolean; int_value?: string; double_value?: number };
}

interface WireSpan {
  trace_id: Buffer;
  span_id: Buffer;
  parent_span_id: Buffer;
  name: string;
  kind: number;
  start_time_unix_nano: string;
  end_time_unix_nano: string;
  attributes: WireKeyValue[];
  events: Array<{ time_unix_nano: string; name: string; attributes: WireKeyValue[] }>;
  links: Array<{ trace_id: Buffer; span_id: Buffer }>;
  status?: { code: number; message: string };
}

interface WireRequest {
  resource_spans: Array<{
    resource?: { attributes: WireKeyValue[] };
    scope_spans: Array<{ scope?: { name: string }; spans: WireSpan[] }>;
  }>;
}

function attributes(list: WireKeyValue[]): Record<string, AttributeValue> {
  const out: Record<string, AttributeValue> = {};
  for (const kv of list) {
    const v = kv.value ?? {};
    out[kv.key] =
      v.string_value ?? v.bool_value ?? (v.int_value !== undefined ? Number(v.int_value) : undefined) ?? v.double_value ?? null;
  }
  return out;
}

export class OtlpReceiver {
  readonly spans: ReceivedSpan[] = [];
  exportCalls = 0;
  private readonly server = new grpc.Server();
  port = 0;

  constructor() {
    const definition = protoLoader.loadSync(path.resolve(__dirname, '../../../../test/support/otlp/trace_service.proto'), {
      keepCase: true,
      longs: String,
      enums: Number,
      defaults: true,
      oneofs: false,
    });
    const pkg = grpc.loadPackageDefinition(definition) as unknown as {
      opentelemetry: { proto: { collector: { trace: { v1: { TraceService: { service: grpc.ServiceDefinition } } } } } };
    };
    this.server.addService(pkg.opentelemetry.proto.collector.trace.v1.TraceService.service, {
      Export: (call: grpc.ServerUnaryCall<WireRequest, object>, callback: grpc.sendUnaryData<object>) => {
        this.exportCalls++;
        this.receive(call.request);
        callback(null, {});
      },
    });
  }

  /** The endpoint to give the exporter. */
  get endpoint(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  async start(): Promise<this> {
    this.port = await new Promise<number>((resolve, reject) =>
      this.server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (err, port) => (err ? reject(err) : resolve(port))),
    );
    return this;
  }

  stop(): Promise<void> {
    return new Promise((resolve) => this.server.tryShutdown(() => resolve()));
  }

  /** Resolves with the spans of `traceId` once `count` of them arrived. */
  async waitForTrace(traceId: string, count: number): Promise<ReceivedSpan[]> {
    await this.waitFor((spans) => spans.filter((s) => s.traceId === traceId).length >= count, `${count} spans of trace ${traceId}`);
    return this.spans.filter((s) => s.traceId === traceId);
  }

  /** Resolves once `predicate` holds for the spans received so far; gives up after GIVE_UP_MS (a hung test). */
  async waitFor(predicate: (spans: ReceivedSpan[]) => boolean, what = 'the expected spans'): Promise<ReceivedSpan[]> {
    const giveUp = Date.now() + GIVE_UP_MS;
    while (!predicate(this.spans)) {
      if (Date.now() > giveUp) throw new Error(`OTLP receiver: ${what} did not arrive (${this.spans.length} spans received)`);
      await new Promise((r) => setTimeout(r, 20));
    }
    return this.spans;
  }

  private receive(req: WireRequest): void {
    for (const rs of req.resource_spans) {
      const resource = attributes(rs.resource?.attributes ?? []);
      for (const ss of rs.scope_spans) {
        for (const s of ss.spans) {
          this.spans.push({
            traceId: s.trace_id.toString('hex'),
            spanId: s.span_id.toString('hex'),
            parentSpanId: s.parent_span_id.toString('hex'),
            name: s.name,
            kind: s.kind,
            startNs: BigInt(s.start_time_unix_nano),
            endNs: BigInt(s.end_time_unix_nano),
            attributes: attributes(s.attributes),
            events: s.events.map((e) => ({ name: e.name, timeNs: BigInt(e.time_unix_nano), attributes: attributes(e.attributes) })),
            links: s.links.map((l) => ({ traceId: l.trace_id.toString('hex'), spanId: l.span_id.toString('hex') })),
            status: { code: s.status?.code ?? 0, message: s.status?.message ?? '' },
            resource,
            scope: ss.scope?.name ?? '',
          });
        }
      }
    }
  }
}

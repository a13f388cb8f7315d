// What every RPC reports: a SERVER span (continuing the caller's W3C trace context, named and attributed per the
// OpenTelemetry RPC conventions) and the gRPC server metrics by method and status code. Streams get one span for
// the stream and a child span per request (requestSpan). With tracing off no span object is created.

import { SpanKind, SpanStatusCode, trace, type Context, type Span } from '@opentelemetry/api';
import type { InferdMetrics } from './metrics';
import { nowNs, spanTime, type HeaderReader, type Tracing } from './tracing';

export type RpcType = 'unary' | 'bidi_stream';

/** trace_id / span_id log fields of a span (empty when there is none). */
export function traceFields(span: Span | undefined): { trace_id?: string; span_id?: string } {
  if (!span) return {};
  const c = span.spanContext();
  return { trace_id: c.traceId, span_id: c.spanId };
}

/** Records `err` on `span` and marks it failed. */
export function recordError(span: Span, err: unknown): void {
  if (err instanceof Error) span.recordException(err);
  span.setStatus({ code: SpanStatusCode.ERROR, message: err instanceof Error ? err.message : String(err) });
}

/** A span inside a stream: one per request, child of the stream's span. */
export interface StreamRequestSpan {
  /** Context to put on the data plane request (its queue and compute spans nest under this one). */
  readonly context: Context | undefined;
  end(err?: unknown): void;
}

const NO_REQUEST_SPAN: StreamRequestSpan = { context: undefined, end: () => undefined };

export class RpcObservation {
  readonly context: Context | undefined;
  private readonly span: Span | undefined;
  private readonly startedNs = nowNs();

  constructor(
    private readonly telemetry: RpcTelemetry,
    readonly service: string,
    readonly method: string,
    readonly type: RpcType,
    parent: Context | undefined,
  ) {
    const tracer = telemetry.tracing?.tracer;
    if (tracer && parent) {
      this.span = tracer.startSpan(
        `${service}/${method}`,
        {
          kind: SpanKind.SERVER,
          startTime: spanTime(this.startedNs),
          attributes: { 'rpc.system': 'grpc', 'rpc.service': service, 'rpc.method': method },
        },
        parent,
      );
      this.context = trace.setSpan(parent, this.span);
    }
    telemetry.metrics?.rpcStarted(service, method, type);
  }

  /** Log fields linking a log line to this RPC's trace. */
  logFields(): { trace_id?: string; span_id?: string } {
    return traceFields(this.span);
  }

  /** A child span for one request of a stream. */
  requestSpan(name = 'request'): StreamRequestSpan {
    const tracer = this.telemetry.tracing?.tracer;
    if (!tracer || !this.context || !this.span?.isRecording()) return NO_REQUEST_SPAN;
    const span = tracer.startSpan(`${this.service}/${this.method} ${name}`, { startTime: spanTime(nowNs()) }, this.context);
    return {
      context: trace.setSpan(this.context, span),
      end: (err?: unknown) => {
        if (err !== undefined) recordError(span, err);
        span.end(spanTime(nowNs()));
      },
    };
  }

  /** Ends the RPC with its gRPC status (`code` as a number, `codeName` as in grpc-js's status enum). */
  end(code: number, codeName: string, err?: unknown): void {
    const endNs = nowNs();
    this.telemetry.metrics?.rpcHandled(this.service, this.method, this.type, codeName, (endNs - this.startedNs) / 1e9);
    if (!this.span) return;
    this.span.setAttribute('rpc.grpc.status_code', code);
    if (code !== 0) recordError(this.span, err ?? new Error(codeName));
    this.span.end(spanTime(endNs));
  }
}

export class RpcTelemetry {
  constructor(
    readonly metrics: InferdMetrics | null,
    readonly tracing: Tracing | null,
  ) {}

  /** Starts observing one RPC; `read` gives the incoming metadata (for traceparent / tracestate). */
  begin(service: string, method: string, type: RpcType, read: HeaderReader): RpcObservation {
    return new RpcObservation(this, service, method, type, this.tracing?.extract(read));
  }
}

// What one accepted inference request reports, from the data plane and through the scheduler's ExecutionObserver
// contract: `queue` and `compute` spans under the request's span (compute_input / compute_infer / compute_output
// events), one `execution` span linked to every request of a batch, latency and batch-size histograms, drift
// sampling of its inputs, and a warning line when it is slow. Spans exist only for a traced (recording) request.

import { ROOT_CONTEXT, trace, type Attributes, type Context, type Link, type Span, type SpanContext } from '@opentelemetry/api';
import type { DriftMonitor, SampledTensor } from './drift-monitor';
import type { Logger } from './logger';
import type { InferdMetrics, ModelHistograms } from './metrics';
import { recordError, traceFields } from './rpc-telemetry';
import { nowNs, spanTime, type Tracing } from './tracing';

export interface InferenceStart {
  model: string;
  version: number;
  /** The request's id from the client ('' when none). */
  id: string;
  /** Context of the span the request belongs to (the RPC, or a stream's request span). */
  trace?: Context;
  inputs: readonly SampledTensor[];
  /** Rows of the request (its batch dim; 1 for a model without batching). */
  rows: number;
  /** process.hrtime ns when the data plane took the request. */
  startedNs: number;
}

/** The scheduler's execution record, as telemetry reads it (see scheduler/execution-observer.ts). */
export interface ExecutionView {
  batchSize: number;
  requests: readonly unknown[];
  startNs: number;
  inferStartNs: number;
  inferEndNs: number;
  endNs: number;
}

export class InferenceTelemetry {
  constructor(
    readonly metrics: InferdMetrics | null,
    readonly tracing: Tracing | null,
    readonly drift: DriftMonitor | null,
    readonly log: Logger,
    /** Requests at least this long (ns) are logged; 0 = none. */
    readonly slowNs: number,
  ) {}

  /** Called once the request is valid, just before it is handed to the scheduler. */
  begin(start: InferenceStart): InferenceObservation {
    this.drift?.observe(start.model, start.version, start.inputs, start.rows);
    return new InferenceObservation(this, start);
  }
}

export class InferenceObservation {
  private readonly histograms: ModelHistograms | undefined;
  /** The request's span (RPC or stream request) when it is recording. */
  private readonly parentSpan: Span | undefined;
  private queueSpan: Span | undefined;
  /** When the request is handed to the scheduler (queue time starts). */
  private readonly submittedNs: number;
  private dequeuedNs = 0;
  private queueNs = 0;
  private computeNs = 0;
  private batchSize = 0;
  private executedOnce = false;
  /** A compute span was already ended (with the error) before the execution reported back. */
  private computeEnded = false;

  constructor(
    private readonly owner: InferenceTelemetry,
    private readonly start: InferenceStart,
  ) {
    this.histograms = owner.metrics?.model(start.model, start.version);
    const tracer = owner.tracing?.tracer;
    const parent = start.trace ? trace.getSpan(start.trace) : undefined;
    const traced = tracer !== undefined && start.trace !== undefined && parent?.isRecording() === true;
    if (traced) {
      this.parentSpan = parent;
      parent.setAttributes(this.attributes());
    }
    this.submittedNs = nowNs();
    if (traced) this.queueSpan = tracer.startSpan('queue', { startTime: spanTime(this.submittedNs), attributes: this.attributes() }, start.trace);
  }

  /** Span context of the request's span (what an execution span links to). */
  get spanContext(): SpanContext | undefined {
    return this.parentSpan?.spanContext();
  }

  dequeued(atNs: number): void {
    this.dequeuedNs = atNs;
    this.queueNs = atNs - this.submittedNs;
    this.histograms?.queue.observe(this.queueNs / 1e9);
    this.queueSpan?.end(spanTime(atNs));
    this.queueSpan = undefined;
  }

  executed(record: ExecutionView): void {
    this.executedOnce = true;
    this.computeNs = record.endNs - record.startNs;
    this.batchSize = record.batchSize;
    this.histograms?.compute.observe(this.computeNs / 1e9);
    const first = record.requests[0] === this;
    if (first) this.histograms?.batchSize.observe(record.batchSize);
    const tracer = this.owner.tracing?.tracer;
    if (!tracer) return;
    const attributes: Attributes = {
      ...this.attributes(),
      'inferd.batch.size': record.batchSize,
      'inferd.batch.requests': record.requests.length,
    };
    if (this.parentSpan && this.start.trace && !this.computeEnded) {
      const compute = tracer.startSpan('compute', { startTime: spanTime(record.startNs), attributes }, this.start.trace);
      compute.addEvent('compute_input', spanTime(record.startNs));
      compute.addEvent('compute_infer', spanTime(record.inferStartNs));
      compute.addEvent('compute_output', spanTime(record.inferEndNs));
      compute.end(spanTime(record.endNs));
    }
    if (first && record.requests.length > 1) this.executionSpan(record, attributes);
  }

  succeeded(durationNs: number): void {
    this.histograms?.request.observe(durationNs / 1e9);
    this.closeOpenSpans(undefined);
    this.logIfSlow(durationNs, 'ok');
  }

  failed(err: unknown, durationNs: number): void {
    this.closeOpenSpans(err);
    this.logIfSlow(durationNs, (err as { code?: string } | null)?.code ?? 'error');
  }

  /** One span for an execution shared by several requests, linked to each traced request's span. */
  private executionSpan(record: ExecutionView, attributes: Attributes): void {
    const tracer = this.owner.tracing?.tracer;
    if (!tracer) return;
    const links: Link[] = [];
    for (const r of record.requests) {
      const context = r instanceof InferenceObservation ? r.spanContext : undefined;
      if (context) links.push({ context });
    }
    if (links.length === 0) return;
    const { 'request.id': _id, ...shared } = attributes;
    const span = tracer.startSpan('execution', { root: true, startTime: spanTime(record.startNs), links, attributes: shared }, ROOT_CONTEXT);
    span.addEvent('compute_input', spanTime(record.startNs));
    span.addEvent('compute_infer', spanTime(record.inferStartNs));
    span.addEvent('compute_output', spanTime(record.inferEndNs));
    span.end(spanTime(record.endNs));
  }

  /** Ends the spans a request still holds when it finishes (a cancellation or failure leaves them open). */
  private closeOpenSpans(err: unknown): void {
    const now = nowNs();
    if (this.queueSpan) {
      if (err !== undefined) recordError(this.queueSpan, err);
      this.queueSpan.end(spanTime(now));
      this.queueSpan = undefined;
    }
    const tracer = this.owner.tracing?.tracer;
    if (err !== undefined && tracer && this.parentSpan && this.start.trace && this.dequeuedNs > 0 && !this.executedOnce) {
      const compute = tracer.startSpan('compute', { startTime: spanTime(this.dequeuedNs), attributes: this.attributes() }, this.start.trace);
      recordError(compute, err);
      compute.end(spanTime(now));
      this.computeEnded = true;
    }
  }

  private logIfSlow(durationNs: number, outcome: string): void {
    const slowNs = this.owner.slowNs;
    if (slowNs <= 0 || durationNs < slowNs) return;
    this.owner.log.warn(
      {
        model: this.start.model,
        version: this.start.version,
        request_id: this.start.id || undefined,
        outcome,
        duration_ms: ms(durationNs),
        queue_ms: ms(this.queueNs),
        compute_ms: ms(this.computeNs),
        batch_size: this.batchSize || undefined,
        ...traceFields(this.parentSpan),
      },
      'slow request',
    );
  }

  private attributes(): Attributes {
    return { 'model.name': this.start.model, 'model.version': String(this.start.version), 'request.id': this.start.id };
  }
}

const ms = (ns: number): number => Math.round(ns / 1e3) / 1e3;

// OpenTelemetry tracing owned by one server: its own tracer provider, sampler, resource and OTLP/gRPC exporter
// (nothing is registered globally, so several servers can trace side by side in one process), the W3C trace
// context read from incoming headers, and the clock that turns process.hrtime nanoseconds into span times.

import { ROOT_CONTEXT, type Context, type HrTime, type TextMapGetter, type Tracer } from '@opentelemetry/api';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-grpc';
import { resourceFromAttributes } from '@opentelemetry/resources';
import {
  AlwaysOffSampler,
  AlwaysOnSampler,
  BasicTracerProvider,
  BatchSpanProcessor,
  ParentBasedSampler,
  TraceIdRatioBasedSampler,
  type Sampler,
  type SpanExporter,
} from '@opentelemetry/sdk-trace-base';
import { ATTR_SERVICE_NAME, ATTR_SERVICE_VERSION } from '@opentelemetry/semantic-conventions';

export type { Context as TraceContext };

export interface TracingOptions {
  /** OTLP/gRPC endpoint, e.g. http://collector:4317. */
  endpoint: string;
  serviceName: string;
  serviceVersion: string;
  sampler: string;
  samplerArg: string;
  /** OTEL_RESOURCE_ATTRIBUTES syntax. */
  resourceAttributes: string;
  /** Replaces the OTLP exporter (tests of the span layout). */
  exporter?: SpanExporter;
}

/** Reads one header (gRPC metadata key, lower case). */
export type HeaderReader = (key: string) => string | undefined;

const headerGetter: TextMapGetter<HeaderReader> = {
  get: (read, key) => read(key),
  keys: () => ['traceparent', 'tracestate'],
};

export class Tracing {
  readonly tracer: Tracer;
  private readonly provider: BasicTracerProvider;
  private readonly propagator = new W3CTraceContextPropagator();

  constructor(options: TracingOptions) {
    const exporter = options.exporter ?? new OTLPTraceExporter({ url: options.endpoint });
    this.provider = new BasicTracerProvider({
      resource: resourceFromAttributes({
        ...parseResourceAttributes(options.resourceAttributes),
        [ATTR_SERVICE_NAME]: options.serviceName,
        [ATTR_SERVICE_VERSION]: options.serviceVersion,
      }),
      sampler: createSampler(options.sampler, options.samplerArg),
      spanProcessors: [new BatchSpanProcessor(exporter)],
    });
    this.tracer = this.provider.getTracer('inferd', options.serviceVersion);
  }

  /** The caller's trace (W3C traceparent / tracestate), or the root context when there is none. */
  extract(read: HeaderReader): Context {
    return this.propagator.extract(ROOT_CONTEXT, read, headerGetter);
  }

  /** Exports every ended span now. */
  forceFlush(): Promise<void> {
    return this.provider.forceFlush();
  }

  /** Exports what is left and stops the exporter. */
  shutdown(): Promise<void> {
    return this.provider.shutdown();
  }
}

export function createSampler(name: string, arg: string): Sampler {
  const ratio = (): number => {
    const r = arg === '' ? 1 : Number(arg);
    if (!Number.isFinite(r) || r < 0 || r > 1) throw new Error(`trace sampler argument must be a ratio in [0, 1], got '${arg}'`);
    return r;
  };
  switch (name) {
    case 'always_on':
      return new AlwaysOnSampler();
    case 'always_off':
      return new AlwaysOffSampler();
    case 'traceidratio':
      return new TraceIdRatioBasedSampler(ratio());
    case 'parentbased_always_on':
      return new ParentBasedSampler({ root: new AlwaysOnSampler() });
    case 'parentbased_always_off':
      return new ParentBasedSampler({ root: new AlwaysOffSampler() });
    case 'parentbased_traceidratio':
      return new ParentBasedSampler({ root: new TraceIdRatioBasedSampler(ratio()) });
    default:
      throw new Error(
        `unknown trace sampler '${name}' (always_on, always_off, traceidratio, parentbased_always_on, ` +
          'parentbased_always_off, parentbased_traceidratio)',
      );
  }
}

/** OTEL_RESOURCE_ATTRIBUTES: comma-separated key=value pairs, values percent-encoded. */
export function parseResourceAttributes(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const pair of text.split(',')) {
    if (pair.trim() === '') continue;
    const eq = pair.indexOf('=');
    if (eq <= 0) throw new Error(`resource attribute '${pair}' is not key=value`);
    out[decodeURIComponent(pair.slice(0, eq).trim())] = decodeURIComponent(pair.slice(eq + 1).trim());
  }
  return out;
}

// One anchor pairs the monotonic clock with the wall clock, so every span time shares one origin.
const anchorHrNs = process.hrtime.bigint();
const anchorEpochNs = BigInt(Math.round((performance.timeOrigin + performance.now()) * 1e6));

/** process.hrtime.bigint() nanoseconds (as a number, like the scheduler's) to an OpenTelemetry epoch time. */
export function spanTime(hrNs: number): HrTime {
  const epochNs = anchorEpochNs + (BigInt(Math.round(hrNs)) - anchorHrNs);
  return [Number(epochNs / 1_000_000_000n), Number(epochNs % 1_000_000_000n)];
}

export const nowNs = (): number => Number(process.hrtime.bigint());

// Observability settings: log format and slow-request threshold, the Prometheus endpoint, OpenTelemetry tracing
// (filled from the standard OTEL_* variables by the CLI) and input-drift monitoring, with their defaults.

export interface TelemetrySettings {
  logFormat: 'json' | 'pretty';
  /** A request slower than this (end to end in the server) is logged at warn; 0 logs none. */
  slowRequestMs: number;
  /** Serve Prometheus metrics over HTTP. */
  metricsEnabled: boolean;
  /** Port of the HTTP /metrics endpoint (0 picks a free one); bound on the gRPC host. */
  metricsPort: number;
  /** Upper bounds (seconds) of the request / queue / compute latency histogram buckets. */
  latencyBucketsSeconds: number[];
  /** OTLP/gRPC collector endpoint (http://host:4317); '' turns tracing off. */
  otlpEndpoint: string;
  serviceName: string;
  /** OTEL_TRACES_SAMPLER names: always_on, always_off, traceidratio, parentbased_* (default parentbased_always_on). */
  traceSampler: string;
  /** Ratio for the traceidratio samplers (OTEL_TRACES_SAMPLER_ARG). */
  traceSamplerArg: string;
  /** OTEL_RESOURCE_ATTRIBUTES syntax: key=value,key2=value2 (values percent-encoded). */
  resourceAttributes: string;
  /** Sample every n-th request of a model for drift statistics; 0 turns drift monitoring off. */
  driftSampleEvery: number;
  /** Sampled requests per drift window (a PSI value is computed at the end of each window). */
  driftWindowRequests: number;
  /** Without a baseline file, the first n sampled requests after load become the baseline. */
  driftBaselineRequests: number;
  /** PSI at or above this logs a warning (0.1 moderate shift, 0.25 major by the usual rule of thumb). */
  driftPsiThreshold: number;
  /** Bins of the histogram built for a baseline taken from requests. */
  driftBins: number;
}

export const DEFAULT_LATENCY_BUCKETS_SECONDS = [
  0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10,
];

export const DEFAULT_TELEMETRY_SETTINGS: TelemetrySettings = {
  logFormat: 'json',
  slowRequestMs: 1000,
  metricsEnabled: true,
  metricsPort: 8002,
  latencyBucketsSeconds: DEFAULT_LATENCY_BUCKETS_SECONDS,
  otlpEndpoint: '',
  serviceName: 'inferd',
  traceSampler: 'parentbased_always_on',
  traceSamplerArg: '',
  resourceAttributes: '',
  driftSampleEvery: 10,
  driftWindowRequests: 200,
  driftBaselineRequests: 200,
  driftPsiThreshold: 0.2,
  driftBins: 10,
};

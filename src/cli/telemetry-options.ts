// The observability flags of `inferd serve` (logs, /metrics, OpenTelemetry tracing, drift monitoring) and their
// environment fallbacks, including the standard OTEL_* variables; turns parsed options into TelemetrySettings.

import { Option, type Command } from 'commander';
import { DEFAULT_TELEMETRY_SETTINGS as D, type TelemetrySettings } from '../config/telemetry-settings';

const nonNegativeInt = (name: string) => (v: string): number => {
  const n = Number(v);
  if (!Number.isSafeInteger(n) || n < 0) throw new Error(`${name} must be a non-negative integer, got '${v}'`);
  return n;
};

const positiveNumber = (name: string) => (v: string): number => {
  const n = Number(v);
  if (!Number.isFinite(n) || n <= 0) throw new Error(`${name} must be a positive number, got '${v}'`);
  return n;
};

function buckets(v: string): number[] {
  const list = v.split(',').map((s) => Number(s.trim()));
  if (list.length === 0 || list.some((n, i) => !Number.isFinite(n) || n <= 0 || (i > 0 && n <= list[i - 1]))) {
    throw new Error(`--metrics-latency-buckets must be ascending positive seconds separated by commas, got '${v}'`);
  }
  return list;
}

/** The OTLP endpoint from the standard variables, '' when tracing is switched off or not configured. */
function otlpEndpointFromEnv(env: NodeJS.ProcessEnv): string {
  if (env.OTEL_SDK_DISABLED === 'true' || env.OTEL_TRACES_EXPORTER === 'none') return '';
  return env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT ?? env.OTEL_EXPORTER_OTLP_ENDPOINT ?? '';
}

export function addTelemetryOptions(cmd: Command): Command {
  return cmd
    .addOption(new Option('--log-format <format>', 'log line format').choices(['json', 'pretty']).env('INFERD_LOG_FORMAT').default(D.logFormat))
    .addOption(new Option('--slow-request-ms <ms>', 'log requests slower than this at warn (0: never)').env('INFERD_SLOW_REQUEST_MS').argParser(nonNegativeInt('--slow-request-ms')).default(D.slowRequestMs))
    .addOption(new Option('--no-metrics', 'do not serve Prometheus metrics'))
    .addOption(new Option('--metrics-port <port>', 'HTTP port of the Prometheus /metrics endpoint (0 picks a free one)').env('INFERD_METRICS_PORT').argParser(nonNegativeInt('--metrics-port')).default(D.metricsPort))
    .addOption(new Option('--metrics-latency-buckets <seconds>', 'latency histogram bucket bounds, comma-separated seconds').env('INFERD_METRICS_LATENCY_BUCKETS').argParser(buckets).default(D.latencyBucketsSeconds, D.latencyBucketsSeconds.join(',')))
    .addOption(new Option('--otlp-endpoint <url>', 'OTLP/gRPC collector for traces, e.g. http://localhost:4317 (default: OTEL_EXPORTER_OTLP_TRACES_ENDPOINT / OTEL_EXPORTER_OTLP_ENDPOINT; unset: tracing off)').default(otlpEndpointFromEnv(process.env)))
    .addOption(new Option('--service-name <name>', 'service.name of the spans').env('OTEL_SERVICE_NAME').default(D.serviceName))
    .addOption(new Option('--trace-sampler <name>', 'trace sampler').choices(['always_on', 'always_off', 'traceidratio', 'parentbased_always_on', 'parentbased_always_off', 'parentbased_traceidratio']).env('OTEL_TRACES_SAMPLER').default(D.traceSampler))
    .addOption(new Option('--trace-sampler-arg <ratio>', 'sampling ratio of the traceidratio samplers').env('OTEL_TRACES_SAMPLER_ARG').default(D.traceSamplerArg))
    .addOption(new Option('--resource-attributes <pairs>', 'extra span resource attributes, key=value,...').env('OTEL_RESOURCE_ATTRIBUTES').default(D.resourceAttributes))
    .addOption(new Option('--drift-sample-every <n>', 'sample every n-th request of a model for input drift (0: off)').env('INFERD_DRIFT_SAMPLE_EVERY').argParser(nonNegativeInt('--drift-sample-every')).default(D.driftSampleEvery))
    .addOption(new Option('--drift-window <requests>', 'sampled requests per drift (PSI) window').argParser(nonNegativeInt('--drift-window')).default(D.driftWindowRequests))
    .addOption(new Option('--drift-baseline-requests <n>', 'without drift_baseline.json, the first n sampled requests become the baseline').argParser(nonNegativeInt('--drift-baseline-requests')).default(D.driftBaselineRequests))
    .addOption(new Option('--drift-psi-threshold <psi>', 'PSI at or above which input drift is logged').env('INFERD_DRIFT_PSI_THRESHOLD').argParser(positiveNumber('--drift-psi-threshold')).default(D.driftPsiThreshold));
}

export function telemetrySettings(opts: Record<string, unknown>): TelemetrySettings {
  const windowRequests = Math.max(1, opts.driftWindow as number);
  return {
    logFormat: opts.logFormat as TelemetrySettings['logFormat'],
    slowRequestMs: opts.slowRequestMs as number,
    metricsEnabled: opts.metrics as boolean,
    metricsPort: opts.metricsPort as number,
    latencyBucketsSeconds: opts.metricsLatencyBuckets as number[],
    otlpEndpoint: opts.otlpEndpoint as string,
    serviceName: opts.serviceName as string,
    traceSampler: opts.traceSampler as string,
    traceSamplerArg: opts.traceSamplerArg as string,
    resourceAttributes: opts.resourceAttributes as string,
    driftSampleEvery: opts.driftSampleEvery as number,
    driftWindowRequests: windowRequests,
    driftBaselineRequests: Math.max(1, opts.driftBaselineRequests as number),
    driftPsiThreshold: opts.driftPsiThreshold as number,
    driftBins: D.driftBins,
  };
}

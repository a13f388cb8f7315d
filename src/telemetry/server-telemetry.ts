// The telemetry parts of one server, built from its settings: tracing (only when an OTLP endpoint is set), the
// metrics registry (only when metrics are on), the drift monitor, and the RPC and inference observers that the
// transports and the data plane report to. Also follows model state changes (load time, drift baselines).

import * as path from 'node:path';
import type { SpanExporter } from '@opentelemetry/sdk-trace-base';
import type { TelemetrySettings } from '../config/telemetry-settings';
import { BASELINE_FILE, readBaselineFile, type DriftBaseline } from './drift-baseline';
import { DriftMonitor } from './drift-monitor';
import { InferenceTelemetry } from './inference-telemetry';
import type { Logger } from './logger';
import { InferdMetrics, type ServedModelView } from './metrics';
import { RpcTelemetry } from './rpc-telemetry';
import { nowNs, Tracing } from './tracing';

/** What the telemetry parts read of the server's telemetry settings (the transport-level ones stay outside). */
export type TelemetryOptions = Omit<TelemetrySettings, 'logFormat' | 'metricsPort'>;

/** A model version's state change, as the repository reports it. */
export interface ModelStateChange {
  name: string;
  version: number;
  state: string;
  reason: string;
}

export class ServerTelemetry {
  readonly tracing: Tracing | null;
  readonly metrics: InferdMetrics | null;
  readonly drift: DriftMonitor | null;
  readonly rpc: RpcTelemetry;
  readonly inference: InferenceTelemetry;
  private readonly loadStartedNs = new Map<string, number>();

  constructor(
    options: TelemetryOptions,
    serviceVersion: string,
    private readonly log: Logger,
    models: () => ServedModelView[],
    /** Replaces the OTLP exporter and turns tracing on (tests of the span layout). */
    spanExporter?: SpanExporter,
  ) {
    this.tracing =
      options.otlpEndpoint !== '' || spanExporter
        ? new Tracing({
            endpoint: options.otlpEndpoint,
            serviceName: options.serviceName,
            serviceVersion,
            sampler: options.traceSampler,
            samplerArg: options.traceSamplerArg,
            resourceAttributes: options.resourceAttributes,
            exporter: spanExporter,
          })
        : null;
    this.drift =
      options.driftSampleEvery > 0
        ? new DriftMonitor(
            {
              sampleEvery: options.driftSampleEvery,
              windowRequests: options.driftWindowRequests,
              baselineRequests: options.driftBaselineRequests,
              psiThreshold: options.driftPsiThreshold,
              bins: options.driftBins,
            },
            log.child({ part: 'drift' }),
          )
        : null;
    const drift = this.drift;
    this.metrics = options.metricsEnabled
      ? new InferdMetrics({ latencyBucketsSeconds: options.latencyBucketsSeconds, models, drift: () => drift?.readings() ?? [] })
      : null;
    this.rpc = new RpcTelemetry(this.metrics, this.tracing);
    this.inference = new InferenceTelemetry(this.metrics, this.tracing, this.drift, log.child({ part: 'inference' }), options.slowRequestMs * 1e6);
  }

  /**
   * Follows a model version through LOADING → READY (load time, drift baseline from `modelDir/<version>/` or
   * `modelDir/`) and out of service.
   */
  modelState(v: ModelStateChange, modelDir: string): void {
    const key = `${v.name}\u0000${v.version}`;
    if (v.state === 'LOADING') {
      this.loadStartedNs.set(key, nowNs());
    } else if (v.state === 'READY') {
      const started = this.loadStartedNs.get(key);
      this.loadStartedNs.delete(key);
      if (started !== undefined) this.metrics?.modelLoaded(v.name, v.version, (nowNs() - started) / 1e9);
      this.drift?.attach(v.name, v.version, this.baseline(v, modelDir));
    } else {
      this.loadStartedNs.delete(key);
      this.metrics?.modelUnloaded(v.name, v.version);
      this.drift?.detach(v.name, v.version);
    }
  }

  /** Exports the spans still buffered and stops the exporter. */
  async shutdown(): Promise<void> {
    await this.tracing?.shutdown();
  }

  private baseline(v: ModelStateChange, modelDir: string): DriftBaseline | null {
    for (const file of [path.join(modelDir, String(v.version), BASELINE_FILE), path.join(modelDir, BASELINE_FILE)]) {
      try {
        const b = readBaselineFile(file);
        if (b) return b;
      } catch (err) {
        this.log.error({ model: v.name, version: v.version, file, err: (err as Error).message }, 'drift baseline unreadable; taking one from requests');
        return null;
      }
    }
    return null;
  }
}

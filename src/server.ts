// Builds inferd's parts from the settings, starts them in order (models, then the gRPC port) and stops them in
// reverse: readiness off, stop accepting calls, finish what was accepted, unload models.

import type * as grpc from '@grpc/grpc-js';
import type { SpanExporter } from '@opentelemetry/sdk-trace-base';
import * as path from 'node:path';
import type { ServerSettings } from './config/server-settings';
import { DataPlane } from './dataplane/dataplane';
import { bind, createGrpcServer } from './grpc/grpc-server';
import { HealthStatus } from './grpc/health';
import { MetricsServer } from './http/metrics-server';
import { ModelRepository } from './repository/model-repository';
import type { ModelVersion } from './repository/model-version';
import { createLogger, type Logger } from './telemetry/logger';
import { ServerTelemetry } from './telemetry/server-telemetry';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const pkg = require('../../package.json') as { version: string };

export class InferdServer {
  readonly repository: ModelRepository;
  readonly dataplane: DataPlane;
  readonly health: HealthStatus;
  readonly telemetry: ServerTelemetry;
  private readonly grpcServer: grpc.Server;
  private readonly metricsServer: MetricsServer | null;
  /** The bound gRPC port (the real one when settings asked for port 0). */
  port = 0;
  /** The bound /metrics port (0 when metrics are off). */
  metricsPort = 0;

  constructor(
    readonly settings: ServerSettings,
    private readonly log: Logger = createLogger({ level: settings.logLevel, format: settings.telemetry.logFormat }),
    /** Replaces the OTLP span exporter and turns tracing on (tests). */
    spanExporter?: SpanExporter,
  ) {
    this.repository = new ModelRepository(
      {
        root: path.resolve(settings.modelRepository),
        controlMode: settings.modelControlMode,
        startupModels: settings.loadModels,
        defaultMaxBatchSize: settings.defaultMaxBatchSize,
        intraOpThreads: settings.intraOpThreads,
      },
      log.child({ part: 'repository' }),
    );
    this.telemetry = new ServerTelemetry(settings.telemetry, pkg.version, log, () =>
      this.repository.loadedVersions().map((v) => ({ name: v.name, version: v.version, stats: v.stats, pending: v.serving?.scheduler.pending ?? 0 })),
    spanExporter);
    const modelsRoot = path.resolve(settings.modelRepository);
    this.repository.on('state', (v: ModelVersion) => this.telemetry.modelState(v, path.join(modelsRoot, v.name)));
    this.dataplane = new DataPlane(this.repository, { name: 'inferd', version: pkg.version }, this.telemetry.inference);
    this.health = new HealthStatus(this.repository);
    this.grpcServer = createGrpcServer(this.dataplane, this.health, { maxMessageBytes: settings.maxMessageBytes }, log, this.telemetry.rpc);
    this.metricsServer = this.telemetry.metrics ? new MetricsServer(this.telemetry.metrics.registry) : null;
  }

  get address(): string {
    const host = this.settings.grpcHost === '0.0.0.0' ? '127.0.0.1' : this.settings.grpcHost;
    return `${host.includes(':') ? `[${host}]` : host}:${this.port}`;
  }

  async start(): Promise<this> {
    await this.repository.start();
    const host = this.settings.grpcHost.includes(':') ? `[${this.settings.grpcHost}]` : this.settings.grpcHost;
    this.metricsPort = (await this.metricsServer?.listen(this.settings.grpcHost, this.settings.telemetry.metricsPort)) ?? 0;
    this.port = await bind(this.grpcServer, `${host}:${this.settings.grpcPort}`);
    this.health.setServing(true);
    this.log.info({ port: this.port, metrics_port: this.metricsPort || undefined, repository: this.settings.modelRepository }, 'inferd serving');
    return this;
  }

  /** Not ready at once; accepted calls finish; then models unload. */
  async stop(): Promise<void> {
    this.dataplane.startDraining();
    this.health.setServing(false);
    await new Promise<void>((resolve) => this.grpcServer.tryShutdown(() => resolve()));
    await this.repository.close();
    await this.metricsServer?.close();
    await this.telemetry.shutdown();
  }
}

// Builds inferd's parts from the settings, starts them in order (models, then the gRPC port) and stops them in
// reverse (graceful drain): readiness off at once, keep accepting for a grace period so load balancers notice,
// stop accepting calls, finish every open call and queued request within the exit timeout, unload models.

import type * as grpc from '@grpc/grpc-js';
import type { SpanExporter } from '@opentelemetry/sdk-trace-base';
import * as path from 'node:path';
import type { ServerSettings } from './config/server-settings';
import { DataPlane } from './dataplane/dataplane';
import { ResponseCache } from './dataplane/response-cache';
import { bind, createGrpcServer } from './grpc/grpc-server';
import { HealthStatus } from './grpc/health';
import { isMalformed } from './grpc/malformed-messages';
import { MetricsServer } from './http/metrics-server';
import { ModelRepository } from './repository/model-repository';
import { buildServerSecurity, type ServerSecurity } from './security/server-security';
import { RepositoryPoller } from './repository/repository-poller';
import type { ModelVersion } from './repository/model-version';
import { InflightBytes } from './scheduler/inflight-bytes';
import { createLogger, type Logger } from './telemetry/logger';
import { ServerTelemetry } from './telemetry/server-telemetry';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const pkg = require('../../package.json') as { version: string };

export class InferdServer {
  readonly repository: ModelRepository;
  readonly dataplane: DataPlane;
  readonly health: HealthStatus;
  readonly security: ServerSecurity;
  readonly poller: RepositoryPoller | null;
  readonly responseCache: ResponseCache | null;
  private readonly grpcServer: grpc.Server;
  private stopping: Promise<boolean> | null = null;
  readonly telemetry: ServerTelemetry;
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
    this.security = buildServerSecurity(settings.security, settings.grpcHost, log, isMalformed);
    this.repository = new ModelRepository(
      {
        root: path.resolve(settings.modelRepository),
        controlMode: settings.modelControlMode,
        startupModels: settings.loadModels,
        defaultMaxBatchSize: settings.defaultMaxBatchSize,
        intraOpThreads: settings.intraOpThreads,
        inflight: new InflightBytes(settings.maxInflightBytes),
      },
      log.child({ part: 'repository' }),
    );
    this.poller =
      settings.modelControlMode === 'poll'
        ? new RepositoryPoller(this.repository, settings.repositoryPollSecs * 1000, log.child({ part: 'poller' }))
        : null;
    this.responseCache = settings.responseCacheBytes > 0 ? new ResponseCache(settings.responseCacheBytes) : null;
    this.telemetry = new ServerTelemetry(settings.telemetry, pkg.version, log, () =>
      this.repository.loadedVersions().map((v) => ({ name: v.name, version: v.version, stats: v.stats, pending: v.serving?.scheduler.pending ?? 0 })),
    spanExporter);
    const modelsRoot = path.resolve(settings.modelRepository);
    this.repository.on('state', (v: ModelVersion) => this.telemetry.modelState(v, path.join(modelsRoot, v.name)));
    this.dataplane = new DataPlane(
      this.repository,
      { name: 'inferd', version: pkg.version },
      settings.inputLimits,
      this.responseCache,
      this.telemetry.inference,
    );
    this.health = new HealthStatus(this.repository);
    this.grpcServer = createGrpcServer(
      this.dataplane,
      this.health,
      { ...settings, interceptors: this.security.interceptors },
      log,
      this.telemetry.rpc,
    );
    this.metricsServer = this.telemetry.metrics ? new MetricsServer(this.telemetry.metrics.registry) : null;
  }

  get address(): string {
    const host = this.settings.grpcHost === '0.0.0.0' ? '127.0.0.1' : this.settings.grpcHost;
    return `${host.includes(':') ? `[${host}]` : host}:${this.port}`;
  }

  async start(): Promise<this> {
    await this.poller?.prime();
    await this.repository.start();
    this.poller?.start();
    const host = this.settings.grpcHost.includes(':') ? `[${this.settings.grpcHost}]` : this.settings.grpcHost;
    this.metricsPort = (await this.metricsServer?.listen(this.settings.grpcHost, this.settings.telemetry.metricsPort)) ?? 0;
    this.port = await bind(this.grpcServer, `${host}:${this.settings.grpcPort}`, this.security.credentials);
    this.health.setServing(true);
    this.log.info({ port: this.port, metrics_port: this.metricsPort || undefined, repository: this.settings.modelRepository }, 'inferd serving');
    return this;
  }

  /** Stops at once (tests): not ready, accepted calls finish, models unload. */
  async stop(): Promise<void> {
    await this.drain(0, Infinity);
  }

  /**
   * Graceful drain: not ready (ServerReady false, health NOT_SERVING) at once; keeps accepting calls for `graceMs`;
   * then stops accepting, and waits up to `timeoutMs` for open calls (unary and streams) and queued requests.
   * Resolves true when everything finished in time; false when it had to cut calls off.
   */
  drain(graceMs = this.settings.drainGraceSecs * 1000, timeoutMs = this.settings.exitTimeoutSecs * 1000): Promise<boolean> {
    this.stopping ??= this.runDrain(graceMs, timeoutMs);
    return this.stopping;
  }

  private async runDrain(graceMs: number, timeoutMs: number): Promise<boolean> {
    this.dataplane.startDraining();
    this.health.setServing(false);
    await this.poller?.stop();
    this.log.info({ graceMs, timeoutMs }, 'draining: not ready; still accepting calls during the grace period');
    if (graceMs > 0) await new Promise((resolve) => setTimeout(resolve, graceMs));
    this.log.info('draining: no longer accepting calls; finishing open ones');
    const served = (): { success: number; fail: number } =>
      this.repository
        .loadedVersions()
        .reduce((t, v) => ({ success: t.success + v.stats.success.count, fail: t.fail + v.stats.fail.count }), { success: 0, fail: 0 });
    let timer: NodeJS.Timeout | undefined;
    const closed = new Promise<void>((resolve) => this.grpcServer.tryShutdown(() => resolve()));
    const finished = await Promise.race([
      closed.then(() => true),
      new Promise<boolean>((resolve) => {
        if (Number.isFinite(timeoutMs)) timer = setTimeout(() => resolve(false), timeoutMs);
      }),
    ]);
    clearTimeout(timer);
    if (!finished) {
      this.log.error({ timeoutMs }, 'exit timeout: cutting off the calls still open');
      this.grpcServer.forceShutdown();
    }
    const totals = served();
    await this.repository.close();
    this.security.close();
    await this.metricsServer?.close();
    await this.telemetry.shutdown();
    this.log.info({ finished, inferSuccess: totals.success, inferFail: totals.fail }, 'inferd stopped');
    return finished;
  }
}

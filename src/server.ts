// Builds inferd's parts from the settings, starts them in order (models, then the gRPC port) and stops them in
// reverse: readiness off, stop accepting calls, finish what was accepted, unload models.

import type * as grpc from '@grpc/grpc-js';
import * as path from 'node:path';
import type { ServerSettings } from './config/server-settings';
import { DataPlane } from './dataplane/dataplane';
import { bind, createGrpcServer } from './grpc/grpc-server';
import { HealthStatus } from './grpc/health';
import { ModelRepository } from './repository/model-repository';
import { InflightBytes } from './scheduler/inflight-bytes';
import { createLogger, type Logger } from './telemetry/logger';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const pkg = require('../../package.json') as { version: string };

export class InferdServer {
  readonly repository: ModelRepository;
  readonly dataplane: DataPlane;
  readonly health: HealthStatus;
  private readonly grpcServer: grpc.Server;
  /** The bound gRPC port (the real one when settings asked for port 0). */
  port = 0;

  constructor(
    readonly settings: ServerSettings,
    private readonly log: Logger = createLogger({ level: settings.logLevel }),
  ) {
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
    this.dataplane = new DataPlane(this.repository, { name: 'inferd', version: pkg.version });
    this.health = new HealthStatus(this.repository);
    this.grpcServer = createGrpcServer(this.dataplane, this.health, { maxMessageBytes: settings.maxMessageBytes }, log);
  }

  get address(): string {
    const host = this.settings.grpcHost === '0.0.0.0' ? '127.0.0.1' : this.settings.grpcHost;
    return `${host.includes(':') ? `[${host}]` : host}:${this.port}`;
  }

  async start(): Promise<this> {
    await this.repository.start();
    const host = this.settings.grpcHost.includes(':') ? `[${this.settings.grpcHost}]` : this.settings.grpcHost;
    this.port = await bind(this.grpcServer, `${host}:${this.settings.grpcPort}`);
    this.health.setServing(true);
    this.log.info({ port: this.port, repository: this.settings.modelRepository }, 'inferd serving');
    return this;
  }

  /** Not ready at once; accepted calls finish; then models unload. */
  async stop(): Promise<void> {
    this.dataplane.startDraining();
    this.health.setServing(false);
    await new Promise<void>((resolve) => this.grpcServer.tryShutdown(() => resolve()));
    await this.repository.close();
  }
}

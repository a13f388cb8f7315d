#!/usr/bin/env node
// The `inferd` command. `inferd serve` runs the server; `--help` on any command lists its flags.

import { Command, Option } from 'commander';
import { DEFAULT_SETTINGS, type ServerSettings } from '../config/server-settings';
import { InferdServer } from '../server';
import { createLogger } from '../telemetry/logger';
import { addSecurityOptions, inputLimitsFrom, securitySettingsFrom } from './security-options';
import { registerModelsCommand } from './models-command';
import { baselineCommand } from './models-baseline';
import { addTelemetryOptions, telemetrySettings } from './telemetry-options';
import { registerBench } from './bench';
import { addGenerateCommand } from './generate';

const int = (name: string) => (v: string): number => {
  const n = Number(v);
  if (!Number.isSafeInteger(n) || n < 0) throw new Error(`${name} must be a non-negative integer, got '${v}'`);
  return n;
};

const program = new Command('inferd').description('Open Inference Protocol (KServe v2 / Triton) gRPC server for ONNX models');

const serve = addTelemetryOptions(program
  .command('serve')
  .description('serve the models of a Triton-layout model repository over gRPC')
  .addOption(new Option('--model-repository <dir>', 'model repository folder').env('INFERD_MODEL_REPOSITORY').default(DEFAULT_SETTINGS.modelRepository))
  .addOption(new Option('--grpc-port <port>', 'gRPC port (0 picks a free one)').env('INFERD_GRPC_PORT').argParser(int('--grpc-port')).default(DEFAULT_SETTINGS.grpcPort))
  .addOption(new Option('--grpc-host <host>', 'address to bind the gRPC port on').env('INFERD_GRPC_HOST').default(DEFAULT_SETTINGS.grpcHost))
  .addOption(new Option('--model-control-mode <mode>', 'none: load every model at start; explicit: load with --load-model and the repository RPCs; poll: load every model and apply changes to the repository folder').choices(['none', 'explicit', 'poll']).env('INFERD_MODEL_CONTROL_MODE').default(DEFAULT_SETTINGS.modelControlMode))
  .addOption(new Option('--load-model <name...>', 'model to load at start in explicit mode (repeatable; * for all)').default([]))
  .addOption(new Option('--max-message-bytes <n>', 'largest gRPC message received or sent').argParser(int('--max-message-bytes')).default(DEFAULT_SETTINGS.maxMessageBytes))
  .addOption(new Option('--default-max-batch-size <n>', 'max_batch_size given to auto-completed models that can batch').argParser(int('--default-max-batch-size')).default(DEFAULT_SETTINGS.defaultMaxBatchSize))
  .addOption(new Option('--intra-op-threads <n>', 'onnxruntime intra-op threads per instance (0: instances share the cores but one)').argParser(int('--intra-op-threads')).default(DEFAULT_SETTINGS.intraOpThreads))
  .addOption(new Option('--repository-poll-secs <n>', 'poll mode: seconds between scans of the model repository').env('INFERD_REPOSITORY_POLL_SECS').argParser(int('--repository-poll-secs')).default(DEFAULT_SETTINGS.repositoryPollSecs))
  .addOption(new Option('--drain-grace-secs <n>', 'on SIGTERM/SIGINT: seconds to keep accepting calls while reporting not-ready').env('INFERD_DRAIN_GRACE_SECS').argParser(int('--drain-grace-secs')).default(DEFAULT_SETTINGS.drainGraceSecs))
  .addOption(new Option('--exit-timeout-secs <n>', 'on SIGTERM/SIGINT: seconds allowed for open calls to finish').env('INFERD_EXIT_TIMEOUT_SECS').argParser(int('--exit-timeout-secs')).default(DEFAULT_SETTINGS.exitTimeoutSecs))
  .addOption(new Option('--response-cache-bytes <n>', 'response cache size for models with response_cache enabled (0: off)').env('INFERD_RESPONSE_CACHE_BYTES').argParser(int('--response-cache-bytes')).default(DEFAULT_SETTINGS.responseCacheBytes))
  .addOption(new Option('--max-inflight-bytes <n>', 'limit on input bytes of accepted, unfinished requests, server-wide (0: none)').env('INFERD_MAX_INFLIGHT_BYTES').argParser(int('--max-inflight-bytes')).default(DEFAULT_SETTINGS.maxInflightBytes))
  .addOption(new Option('--log-level <level>', 'log level').choices(['trace', 'debug', 'info', 'warn', 'error', 'fatal']).env('INFERD_LOG_LEVEL').default(DEFAULT_SETTINGS.logLevel))
  .addOption(new Option('--grpc-keepalive-time-ms <ms>', 'keepalive ping interval on idle connections (0: none)').env('INFERD_GRPC_KEEPALIVE_TIME_MS').argParser(int('--grpc-keepalive-time-ms')).default(DEFAULT_SETTINGS.keepaliveTimeMs))
  .addOption(new Option('--grpc-keepalive-timeout-ms <ms>', 'close a connection whose keepalive ping is unanswered this long (0: grpc-js default)').env('INFERD_GRPC_KEEPALIVE_TIMEOUT_MS').argParser(int('--grpc-keepalive-timeout-ms')).default(DEFAULT_SETTINGS.keepaliveTimeoutMs))
  .addOption(new Option('--grpc-max-connection-age-ms <ms>', 'send GOAWAY to connections older than this so clients rebalance (0: unlimited)').env('INFERD_GRPC_MAX_CONNECTION_AGE_MS').argParser(int('--grpc-max-connection-age-ms')).default(DEFAULT_SETTINGS.maxConnectionAgeMs))
  .addOption(new Option('--grpc-max-connection-age-grace-ms <ms>', 'time calls on an aged-out connection get to finish (0: unlimited)').env('INFERD_GRPC_MAX_CONNECTION_AGE_GRACE_MS').argParser(int('--grpc-max-connection-age-grace-ms')).default(DEFAULT_SETTINGS.maxConnectionAgeGraceMs))
  .addOption(new Option('--grpc-max-connection-idle-ms <ms>', 'close connections without calls for this long (0: unlimited)').env('INFERD_GRPC_MAX_CONNECTION_IDLE_MS').argParser(int('--grpc-max-connection-idle-ms')).default(DEFAULT_SETTINGS.maxConnectionIdleMs)));
addSecurityOptions(serve)
  .action(async (opts: Record<string, unknown>) => {
    const settings: ServerSettings = {
      modelRepository: opts.modelRepository as string,
      grpcHost: opts.grpcHost as string,
      grpcPort: opts.grpcPort as number,
      modelControlMode: opts.modelControlMode as ServerSettings['modelControlMode'],
      loadModels: opts.loadModel as string[],
      maxMessageBytes: opts.maxMessageBytes as number,
      defaultMaxBatchSize: opts.defaultMaxBatchSize as number,
      intraOpThreads: opts.intraOpThreads as number,
      maxInflightBytes: opts.maxInflightBytes as number,
      logLevel: opts.logLevel as string,
      keepaliveTimeMs: opts.grpcKeepaliveTimeMs as number,
      keepaliveTimeoutMs: opts.grpcKeepaliveTimeoutMs as number,
      maxConnectionAgeMs: opts.grpcMaxConnectionAgeMs as number,
      maxConnectionAgeGraceMs: opts.grpcMaxConnectionAgeGraceMs as number,
      maxConnectionIdleMs: opts.grpcMaxConnectionIdleMs as number,
      security: securitySettingsFrom(opts),
      inputLimits: inputLimitsFrom(opts),
      repositoryPollSecs: opts.repositoryPollSecs as number,
      drainGraceSecs: opts.drainGraceSecs as number,
      exitTimeoutSecs: opts.exitTimeoutSecs as number,
      responseCacheBytes: opts.responseCacheBytes as number,
      telemetry: telemetrySettings(opts),
    };
    const log = createLogger({ level: settings.logLevel, format: settings.telemetry.logFormat });
    const server = new InferdServer(settings, log);
    let stopping = false;
    const shutdown = (signal: string): void => {
      if (stopping) {
        log.warn({ signal }, 'second signal: exiting at once');
        process.exit(1);
      }
      stopping = true;
      log.info({ signal }, 'shutting down');
      server.drain().then(
        (finished) => process.exit(finished ? 0 : 1),
        (err: unknown) => {
          log.error({ err }, 'shutdown failed');
          process.exit(1);
        },
      );
    };
    process.on('SIGTERM', () => shutdown('SIGTERM'));
    process.on('SIGINT', () => shutdown('SIGINT'));
    await server.start();
  });

registerModelsCommand(program);
registerBench(program);
addGenerateCommand(program, int);

program.parseAsync(process.argv).catch((err: unknown) => {
  console.error(`inferd: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
});

#!/usr/bin/env node
// The `inferd` command. `inferd serve` runs the server; `--help` on any command lists its flags.

import { Command, Option } from 'commander';
import { DEFAULT_SETTINGS, type ServerSettings } from '../config/server-settings';
import { InferdServer } from '../server';
import { createLogger } from '../telemetry/logger';
import { addGenerateCommand } from './generate';

const int = (name: string) => (v: string): number => {
  const n = Number(v);
  if (!Number.isSafeInteger(n) || n < 0) throw new Error(`${name} must be a non-negative integer, got '${v}'`);
  return n;
};

const program = new Command('inferd').description('Open Inference Protocol (KServe v2 / Triton) gRPC server for ONNX models');

program
  .command('serve')
  .description('serve the models of a Triton-layout model repository over gRPC')
  .addOption(new Option('--model-repository <dir>', 'model repository folder').env('INFERD_MODEL_REPOSITORY').default(DEFAULT_SETTINGS.modelRepository))
  .addOption(new Option('--grpc-port <port>', 'gRPC port (0 picks a free one)').env('INFERD_GRPC_PORT').argParser(int('--grpc-port')).default(DEFAULT_SETTINGS.grpcPort))
  .addOption(new Option('--grpc-host <host>', 'address to bind the gRPC port on').env('INFERD_GRPC_HOST').default(DEFAULT_SETTINGS.grpcHost))
  .addOption(new Option('--model-control-mode <mode>', 'none: load every model at start; explicit: load with --load-model and the repository RPCs').choices(['none', 'explicit']).env('INFERD_MODEL_CONTROL_MODE').default(DEFAULT_SETTINGS.modelControlMode))
  .addOption(new Option('--load-model <name...>', 'model to load at start in explicit mode (repeatable; * for all)').default([]))
  .addOption(new Option('--max-message-bytes <n>', 'largest gRPC message received or sent').argParser(int('--max-message-bytes')).default(DEFAULT_SETTINGS.maxMessageBytes))
  .addOption(new Option('--default-max-batch-size <n>', 'max_batch_size given to auto-completed models that can batch').argParser(int('--default-max-batch-size')).default(DEFAULT_SETTINGS.defaultMaxBatchSize))
  .addOption(new Option('--intra-op-threads <n>', 'onnxruntime intra-op threads per instance (0: share the cores)').argParser(int('--intra-op-threads')).default(DEFAULT_SETTINGS.intraOpThreads))
  .addOption(new Option('--log-level <level>', 'log level').choices(['trace', 'debug', 'info', 'warn', 'error', 'fatal']).env('INFERD_LOG_LEVEL').default(DEFAULT_SETTINGS.logLevel))
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
      logLevel: opts.logLevel as string,
    };
    const log = createLogger({ level: settings.logLevel });
    const server = new InferdServer(settings, log);
    let stopping = false;
    const shutdown = (signal: string): void => {
      if (stopping) process.exit(1);
      stopping = true;
      log.info({ signal }, 'shutting down');
      server.stop().then(
        () => process.exit(0),
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

addGenerateCommand(program, int);

program.parseAsync(process.argv).catch((err: unknown) => {
  console.error(`inferd: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
});

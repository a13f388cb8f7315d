// `inferd models …`: model control against a running server through its repository RPCs (control mode explicit
// or poll): index, load (optionally with a version-policy override or new split weights), unload, and rollback
// (a load whose `config` parameter pins the served version).

import { promises as fs } from 'node:fs';
import * as grpc from '@grpc/grpc-js';
import { baselineCommand } from './models-baseline';
import { Command, Option } from 'commander';
import { GRPCInferenceServiceClient } from '../../generated/inference/grpc_service';

const serverOption = () =>
  new Option('--server <host:port>', 'address of the running inferd').env('INFERD_SERVER').default('127.0.0.1:8001');

function unary<Req, Res>(
  fn: (req: Req, metadata: grpc.Metadata, options: Partial<grpc.CallOptions>, cb: (err: grpc.ServiceError | null, res: Res) => void) => unknown,
  req: Req,
  timeoutSecs: number,
): Promise<Res> {
  return new Promise((resolve, reject) =>
    fn(req, new grpc.Metadata(), { deadline: Date.now() + timeoutSecs * 1000 }, (err, res) => (err ? reject(err) : resolve(res))),
  );
}

async function withClient<T>(address: string, fn: (c: GRPCInferenceServiceClient) => Promise<T>): Promise<T> {
  const client = new GRPCInferenceServiceClient(address, grpc.credentials.createInsecure());
  try {
    return await fn(client);
  } catch (err) {
    const e = err as grpc.ServiceError;
    throw new Error(e.details ? `${grpc.status[e.code]}: ${e.details}` : e.message);
  } finally {
    client.close();
  }
}

async function load(address: string, name: string, params: Record<string, string>, timeoutSecs: number): Promise<void> {
  const parameters = Object.fromEntries(Object.entries(params).map(([k, v]) => [k, { stringParam: v }]));
  await withClient(address, (c) => unary(c.repositoryModelLoad.bind(c), { repositoryName: '', modelName: name, parameters }, timeoutSecs));
}

export function registerModelsCommand(program: Command): void {
  const models = program
    .command('models')
    .description('load, unload and roll back models on a running inferd; write drift baselines')
    .addCommand(baselineCommand());
  const timeout = () => new Option('--timeout-secs <n>', 'how long to wait for the server').default('600');

  models
    .command('index')
    .description('list the models of the repository with their versions, states and reasons')
    .addOption(serverOption())
    .option('--ready', 'only ready versions')
    .action(async (opts: { server: string; ready?: boolean }) => {
      const res = await withClient(opts.server, (c) => unary(c.repositoryIndex.bind(c), { repositoryName: '', ready: !!opts.ready }, 30));
      for (const m of res.models) console.log([m.name, m.version || '-', m.state || '-', m.reason].join('\t'));
    });

  models
    .command('load <model>')
    .description('load or reload a model (or alias); goes back to its config.pbtxt version_policy unless --config is given')
    .addOption(serverOption())
    .option('--config <json>', 'JSON model config override, e.g. \'{"version_policy":{"latest":{"num_versions":2}}}\'')
    .option('--split-file <path>', 'for a traffic-split alias: split.pbtxt text to route by instead of the alias\'s file')
    .addOption(timeout())
    .action(async (name: string, opts: { server: string; config?: string; splitFile?: string; timeoutSecs: string }) => {
      const params: Record<string, string> = {};
      if (opts.config !== undefined) params.config = opts.config;
      if (opts.splitFile !== undefined) params.split = await fs.readFile(opts.splitFile, 'utf8');
      await load(opts.server, name, params, Number(opts.timeoutSecs));
      console.log(`loaded ${name}`);
    });

  models
    .command('unload <model>')
    .description('unload a model: it stops taking requests and finishes the ones it accepted')
    .addOption(serverOption())
    .addOption(timeout())
    .action(async (name: string, opts: { server: string; timeoutSecs: string }) => {
      await withClient(opts.server, (c) =>
        unary(c.repositoryModelUnload.bind(c), { repositoryName: '', modelName: name, parameters: {} }, Number(opts.timeoutSecs)),
      );
      console.log(`unloaded ${name}`);
    });

  models
    .command('rollback <model> <version>')
    .description('serve exactly <version> of a model (version_policy specific), retiring the others once it is ready')
    .addOption(serverOption())
    .addOption(timeout())
    .action(async (name: string, version: string, opts: { server: string; timeoutSecs: string }) => {
      if (!/^[1-9][0-9]*$/.test(version)) throw new Error(`version must be a positive integer, got '${version}'`);
      const config = JSON.stringify({ version_policy: { specific: { versions: [Number(version)] } } });
      await load(opts.server, name, { config }, Number(opts.timeoutSecs));
      console.log(`${name}: now serving version ${version}`);
    });
}

// Starts the servers a benchmark measures as child processes, so benchmark clients never share a process (or an
// event loop) with them: `inferd serve` on a free port (ready once it answers ServerReady), and the bench/ reference
// servers (echo, hop echo, naive peer), which print "port N" once bound.

import { spawn, type ChildProcess } from 'node:child_process';
import * as path from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { GRPCInferenceServiceClient } from '../generated/inference/grpc_service';

export const REPO_ROOT = path.resolve(__dirname, '../..');
const CLI = path.join(REPO_ROOT, 'dist/src/cli/main.js');

export interface ServerProcess {
  address: string;
  child: ChildProcess;
  stop(): Promise<void>;
}

/** `args` must not set --log-level: the port is read from the server's info-level "inferd serving" line. */
/** `env` adds variables to the child's environment (e.g. OTEL_*). */
export async function startServerProcess(args: string[], timeoutMs = 60_000, env: NodeJS.ProcessEnv = {}): Promise<ServerProcess> {
  const child = spawn(process.execPath, [CLI, 'serve', '--grpc-port', '0', '--grpc-host', '127.0.0.1', '--log-level', 'info', '--metrics-port', '0', ...args], {
    stdio: ['ignore', 'pipe', 'inherit'],
    env: { ...process.env, ...env },
  });
  const port = await new Promise<number>((resolve, reject) => {
    let buffered = '';
    child.stdout?.on('data', (chunk: Buffer) => {
      buffered += chunk.toString();
      const m = /"port":(\d+)[^\n]*"msg":"inferd serving"/.exec(buffered);
      if (m) resolve(Number(m[1]));
    });
    child.once('exit', (code) => reject(new Error(`inferd exited with code ${code} before serving`)));
    setTimeout(() => reject(new Error(`inferd did not start serving within ${timeoutMs} ms`)), timeoutMs).unref();
  });
  child.stdout?.resume();
  const address = `127.0.0.1:${port}`;
  const client = new GRPCInferenceServiceClient(address, grpc.credentials.createInsecure());
  await new Promise<void>((resolve, reject) =>
    client.serverReady({}, (err, res) => (err || !res.ready ? reject(err ?? new Error('not ready')) : resolve())),
  );
  client.close();
  return {
    address,
    child,
    stop: () =>
      new Promise<void>((resolve) => {
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}

/** Starts `node dist/bench/<script> args` (a reference server) and resolves once it prints the port it bound. */
export async function startBenchServer(script: string, args: string[]): Promise<{ address: string; pid: number; stop: () => Promise<void> }> {
  const child = spawn(process.execPath, [path.join(REPO_ROOT, 'dist/bench', script), ...args], { stdio: ['ignore', 'pipe', 'inherit'] });
  const port = await new Promise<number>((resolve, reject) => {
    let out = '';
    child.stdout?.on('data', (c: Buffer) => {
      out += c.toString();
      const m = /port (\d+)/.exec(out);
      if (m) resolve(Number(m[1]));
    });
    child.once('exit', (code) => reject(new Error(`${script} exited with ${code}`)));
  });
  return {
    address: `127.0.0.1:${port}`,
    pid: child.pid ?? 0,
    stop: () =>
      new Promise((resolve) => {
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}

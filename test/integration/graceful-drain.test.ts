// Graceful drain of a real `inferd serve` child process under continuous load from several clients: on SIGTERM
// ServerReady turns false and health NOT_SERVING at once, calls are still accepted for --drain-grace-secs, then
// new calls are refused, every accepted request completes (the clients' successes equal the server's own count),
// and the process exits 0 within --exit-timeout-secs. A second signal exits at once.

import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { protoPath as healthProtoPath } from 'grpc-health-check';
import { startServerProcess, type ServerProcess } from '../../bench/server-process';
import type { ModelInferResponse } from '../../generated/inference/grpc_service';
import { LoadGenerator, until } from '../support/load';
import { call, FIXTURES_DIR, MODELS_DIR, tempRepository, tsProtoClient } from '../support/server';
import { checkSimple, simpleRequest } from '../support/simple-model';

// Worker crashes, model loads and child processes take a while on a busy machine; this is slack, not a check.
jest.setTimeout(300_000);

const SLOW_BATCH = 128;

function slowRequest(seq: number) {
  return {
    modelName: 'slow',
    modelVersion: '',
    id: `slow-${seq}`,
    parameters: {},
    inputs: [{ name: 'INPUT', datatype: 'FP32', shape: [BigInt(SLOW_BATCH), 256n], parameters: {} }],
    outputs: [],
    rawInputContents: [Buffer.from(new Float32Array(SLOW_BATCH * 256).fill(seq % 3).buffer)],
  };
}

function healthClient(address: string) {
  const def = protoLoader.loadSync(healthProtoPath, { keepCase: true, enums: String });
  const pkg = grpc.loadPackageDefinition(def) as unknown as { grpc: { health: { v1: { Health: typeof grpc.Client } } } };
  return new pkg.grpc.health.v1.Health(address, grpc.credentials.createInsecure());
}

/** Log lines of the child (pino JSON on stdout). */
function collectLogs(proc: ServerProcess): Array<Record<string, unknown>> {
  const lines: Array<Record<string, unknown>> = [];
  let buffered = '';
  proc.child.stdout?.on('data', (chunk: Buffer) => {
    buffered += chunk.toString();
    const parts = buffered.split('\n');
    buffered = parts.pop() ?? '';
    for (const p of parts) if (p.trim()) lines.push(JSON.parse(p) as Record<string, unknown>);
  });
  return lines;
}

const exited = (proc: ServerProcess) =>
  new Promise<number | null>((resolve) => {
    if (proc.child.exitCode !== null) resolve(proc.child.exitCode);
    else proc.child.once('exit', (code) => resolve(code));
  });

let repo: string;

beforeAll(async () => {
  repo = await tempRepository({ simple: path.join(MODELS_DIR, 'simple'), slow: path.join(FIXTURES_DIR, 'slow') });
  await fs.access(path.join(repo, 'slow/1/model.onnx'));
});

test('SIGTERM under load: not ready at once, accepts during the grace, refuses after, finishes all accepted, exits 0', async () => {
  const proc = await startServerProcess([
    '--model-repository', repo, '--drain-grace-secs', '3', '--exit-timeout-secs', '30',
    '--default-max-batch-size', String(SLOW_BATCH), '--intra-op-threads', '1',
  ]);
  const logs = collectLogs(proc);
  const clients = Array.from({ length: 6 }, () => tsProtoClient(proc.address));
  const probe = tsProtoClient(proc.address);
  const health = healthClient(proc.address);
  // Four clients on the fast model, two on the slow one (so requests are queued and running at the signal).
  const load = new LoadGenerator(
    clients,
    (c, seq) => (c < 4 ? simpleRequest(seq) : slowRequest(seq)),
    (res, seq) => ((res as ModelInferResponse).modelName === 'simple' ? checkSimple(seq, res) : ''),
  );
  await load.waitFor(30);
  await until(() => load.outcomes.some((o) => o.version === '1' && !o.error) && load.counts().sent > 40, 120_000, 'load running');

  const signalAt = Date.now();
  proc.child.kill('SIGTERM');
  await until(async () => !(await call<{ ready: boolean }>(probe, 'serverReady', {})).ready, 60_000, 'not ready');
  const status = await call<{ status: string }>(health, 'Check', { service: '' });
  expect(status.status).toBe('NOT_SERVING');
  const code = await exited(proc);
  const exitAt = Date.now();
  const counts = await load.stop();
  for (const c of [...clients, probe, health]) c.close();

  const stopped = logs.find((l) => l.msg === 'inferd stopped') as { finished: boolean; inferSuccess: number; inferFail: number };
  const accepted = load.outcomes.filter((o) => !o.error && o.sentMs >= signalAt).length;
  const closing = logs.find((l) => l.msg === 'draining: no longer accepting calls; finishing open ones') as { time: number };
  const inFlightAtClose = load.outcomes.filter((o) => !o.error && o.sentMs < closing.time && o.doneMs > closing.time).length;
  const refused = load.outcomes.filter((o) => o.error);
  console.log(
    `SIGTERM under load (6 clients): sent ${counts.sent}, succeeded ${counts.succeeded}, failed ${counts.failed} ` +
      `(all refused after the grace); succeeded though sent after SIGTERM: ${accepted}; server counted ` +
      `${stopped.inferSuccess} successes, ${stopped.inferFail} failures; ${inFlightAtClose} were in flight when accepting stopped and completed; exit code ${code} after ${exitAt - signalAt} ms`,
  );
  expect(code).toBe(0);
  expect(stopped.finished).toBe(true);
  // Every request the server accepted completed and reached its client; the server failed none.
  expect(stopped.inferFail).toBe(0);
  expect(counts.succeeded).toBe(stopped.inferSuccess);
  // Calls were accepted during the grace period, and refused (UNAVAILABLE, never run) after it.
  expect(accepted).toBeGreaterThan(0);
  expect(inFlightAtClose).toBeGreaterThan(0);
  expect(refused.length).toBeGreaterThan(0);
  expect(refused.every((o) => o.error?.code === grpc.status.UNAVAILABLE && o.sentMs >= signalAt)).toBe(true);
  expect(load.errors().filter((e) => e.startsWith('-1'))).toEqual([]);
});

test('a second signal exits at once, without waiting for the drain', async () => {
  const proc = await startServerProcess(['--model-repository', repo, '--drain-grace-secs', '600']);
  const logs = collectLogs(proc);
  const probe = tsProtoClient(proc.address);
  proc.child.kill('SIGTERM');
  await until(async () => !(await call<{ ready: boolean }>(probe, 'serverReady', {})).ready, 60_000, 'not ready');
  probe.close();
  proc.child.kill('SIGTERM');
  expect(await exited(proc)).toBe(1);
  expect(logs.some((l) => l.msg === 'second signal: exiting at once')).toBe(true);
});

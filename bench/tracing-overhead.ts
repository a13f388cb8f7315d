// Throughput of `simple` ModelInfer with tracing off, on (every request sampled, spans exported over OTLP/gRPC to a
// receiver in this process) and on-but-unsampled (always_off sampler), measured in alternating rounds against three
// inferd processes started side by side, reported as ratios to tracing off.

import * as path from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { GRPCInferenceServiceClient } from '../generated/inference/grpc_service';
import { OtlpReceiver } from '../test/support/otlp/receiver';
import { REPO_ROOT, startServerProcess, type ServerProcess } from './server-process';
import { SIMPLE_REQUEST } from './simple-request';

const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 16);
const ROUND_MS = Number(process.env.BENCH_ROUND_MS ?? 3000);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);

const request = SIMPLE_REQUEST;

/** Requests per second completed by CONCURRENCY closed-loop callers during `ms`. */
async function throughput(client: GRPCInferenceServiceClient, ms: number): Promise<number> {
  let done = 0;
  const end = Date.now() + ms;
  const worker = async (): Promise<void> => {
    while (Date.now() < end) {
      await new Promise<void>((resolve, reject) => client.modelInfer(request, (e) => (e ? reject(e) : resolve())));
      done++;
    }
  };
  const t0 = process.hrtime.bigint();
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
  return done / (Number(process.hrtime.bigint() - t0) / 1e9);
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

export async function tracingOverhead(): Promise<void> {
  const receiver = await new OtlpReceiver().start();
  const repo = ['--model-repository', path.join(REPO_ROOT, 'models'), '--drift-sample-every', '0'];
  const variants: Array<{ label: string; args: string[] }> = [
    { label: 'tracing off', args: [] },
    { label: 'tracing on, every request sampled', args: ['--otlp-endpoint', receiver.endpoint, '--trace-sampler', 'always_on'] },
    { label: 'tracing on, sampler always_off', args: ['--otlp-endpoint', receiver.endpoint, '--trace-sampler', 'always_off'] },
  ];
  const servers: ServerProcess[] = [];
  try {
    for (const v of variants) servers.push(await startServerProcess([...repo, ...v.args]));
    const clients = servers.map((s) => new GRPCInferenceServiceClient(s.address, grpc.credentials.createInsecure()));
    for (const c of clients) await throughput(c, 500);
    const rates: number[][] = variants.map(() => []);
    for (let r = 0; r < ROUNDS; r++) {
      for (let i = 0; i < clients.length; i++) rates[i].push(await throughput(clients[i], ROUND_MS));
    }
    for (const c of clients) c.close();
    const base = median(rates[0]);
    console.log(`simple ModelInfer throughput, batch 1, concurrency ${CONCURRENCY}, ${ROUNDS} alternating rounds of ${ROUND_MS} ms (median)`);
    variants.forEach((v, i) => {
      const rate = median(rates[i]);
      console.log(`  ${v.label.padEnd(36)} ${rate.toFixed(0).padStart(6)} req/s   ratio to off ${(rate / base).toFixed(3)}`);
    });
    console.log(`  spans received by the OTLP receiver: ${receiver.spans.length} in ${receiver.exportCalls} exports (only the always_on server sends)`);
  } finally {
    await Promise.all(servers.map((s) => s.stop()));
    await receiver.stop();
  }
}

if (require.main === module) {
  tracingOverhead().catch((err: unknown) => {
    console.error(err);
    process.exit(1);
  });
}

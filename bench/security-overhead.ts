// Cost of the security interceptor: `simple` ModelInfer at concurrency 1 against two server processes started side
// by side — one plain, one with bearer-token authentication, per-model scopes and (never tripping) rate limits on
// requests and input bytes — measured in interleaved rounds so machine noise hits both alike. Prints both latency
// distributions and their p50 ratio.

import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { GRPCInferenceServiceClient } from '../generated/inference/grpc_service';
import { REPO_ROOT, startServerProcess } from './server-process';
import { nowUs, percentiles, type Percentiles } from './stats';
import { SIMPLE_REQUEST } from './simple-request';

const ROUNDS = 10;
const PER_ROUND = 300;
const WARMUP = 300;
const TOKEN = 'bench-token-0123456789abcdef';

const request = SIMPLE_REQUEST;

function caller(address: string, token: string | null) {
  const client = new GRPCInferenceServiceClient(address, grpc.credentials.createInsecure());
  const md = new grpc.Metadata();
  if (token) md.set('authorization', `Bearer ${token}`);
  const once = () => new Promise<void>((resolve, reject) => client.modelInfer(request, md, (e) => (e ? reject(e) : resolve())));
  return {
    async run(n: number, samples: number[] | null): Promise<void> {
      for (let i = 0; i < n; i++) {
        const t0 = nowUs();
        await once();
        samples?.push(nowUs() - t0);
      }
    },
    close: () => client.close(),
  };
}

const fmt = (p: Percentiles): string => `p50 ${p.p50.toFixed(0)} µs, p90 ${p.p90.toFixed(0)} µs, p99 ${p.p99.toFixed(0)} µs`;

async function main(): Promise<void> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'inferd-bench-'));
  const principals = path.join(dir, 'principals.json');
  await fs.writeFile(principals, JSON.stringify({ principals: [{ name: 'bench', tokens: [TOKEN], scopes: ['infer:sim*'] }] }));
  const repo = ['--model-repository', path.join(REPO_ROOT, 'models'), '--intra-op-threads', '1'];
  const plain = await startServerProcess(repo);
  const secured = await startServerProcess([
    ...repo, '--auth-principals-file', principals,
    '--rate-limit-rps', '1000000', '--rate-limit-input-bytes', '1000000000',
  ]);
  const a = caller(plain.address, null);
  const b = caller(secured.address, TOKEN);
  try {
    await a.run(WARMUP, null);
    await b.run(WARMUP, null);
    const sa: number[] = [];
    const sb: number[] = [];
    for (let r = 0; r < ROUNDS; r++) {
      await a.run(PER_ROUND, sa);
      await b.run(PER_ROUND, sb);
    }
    const pa = percentiles(sa);
    const pb = percentiles(sb);
    console.log(`simple ModelInfer, concurrency 1, ${ROUNDS} interleaved rounds of ${PER_ROUND}`);
    console.log(`  plain:                          ${fmt(pa)}`);
    console.log(`  token auth + scopes + limits:   ${fmt(pb)}`);
    console.log(`  p50 ratio secured/plain: ${(pb.p50 / pa.p50).toFixed(3)} (${(pb.p50 - pa.p50).toFixed(0)} µs)`);
  } finally {
    a.close();
    b.close();
    await Promise.all([plain.stop(), secured.stop()]);
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});

// `inferd bench`: our perf_analyzer. Drives a running OIP server's ModelInfer at each concurrency of a range
// (or at a fixed request rate), and reports per level: throughput, p50/p90/p99 latency, and, where the server
// answers ModelStatistics, the server-side queue / compute split per request. Writes JSON and an SVG plot of
// throughput and p99 latency against concurrency.

import { promises as fs } from 'node:fs';
import * as grpc from '@grpc/grpc-js';
import { Command, Option } from 'commander';
import {
  GRPCInferenceServiceClient,
  type ModelMetadataResponse,
  type ModelStatistics,
  type ModelStatisticsResponse,
} from '../../generated/inference/grpc_service';
import { buildInputs, parseInputSpec, parseShapeOverride, type TensorSpec } from './bench/inputs';
import { encodeRequests, RawInferClient, runLoad, warmUp } from './bench/load';
import { CpuMeter, type CpuSplit } from './bench/cpu';
import { ProgressBar } from './bench/progress';
import { benchSvg } from './bench/svg';

export interface LevelReport {
  concurrency: number;
  requestRate: number;
  batchSize: number;
  requests: number;
  errors: number;
  firstError?: string;
  elapsedS: number;
  /** Requests per second and inferences (rows) per second. */
  requestsPerS: number;
  inferencesPerS: number;
  latencyUs: { p50: number; p90: number; p99: number; mean: number };
  /** CPU per request of this client and (with --server-pid) the server, and how busy the machine was. */
  cpu: CpuSplit;
  /** Server-side averages per request from ModelStatistics (absent where the server has none). */
  server?: { queueUs: number; computeInputUs: number; computeInferUs: number; computeOutputUs: number; executions: number; inferences: number };
}

export interface BenchReport {
  url: string;
  model: string;
  batchSize: number;
  levels: LevelReport[];
}

export interface BenchOptions {
  url: string;
  model: string;
  modelVersion: string;
  concurrency: number[];
  requestRate: number;
  requestCount: number;
  durationMs: number;
  warmup: number;
  /** Untimed load at each level's own concurrency before it is measured. */
  warmupMs: number;
  batchSize: number;
  shapes: Map<string, number[]>;
  inputs: TensorSpec[] | null;
  inputData: string | null;
  timeoutMs: number;
  /** The server's process id when it runs on this machine, for its CPU per request (0: not measured). */
  serverPid: number;
}

/** `1:64:x2` (×2 steps), `1:8:2` (+2 steps) or `1,4,16`. */
export function parseConcurrency(text: string): number[] {
  const bad = (): Error => new Error(`--concurrency '${text}' must be a list (1,4,16) or a range start:end[:step|:xfactor]`);
  if (!text.includes(':')) {
    const list = text.split(',').map(Number);
    if (list.some((n) => !Number.isSafeInteger(n) || n < 1)) throw bad();
    return list;
  }
  const [a, b, step = '1'] = text.split(':');
  const start = Number(a);
  const end = Number(b);
  const mult = step.startsWith('x');
  const k = Number(mult ? step.slice(1) : step);
  if (![start, end, k].every(Number.isFinite) || start < 1 || end < start || (mult ? k <= 1 : k < 1)) throw bad();
  const out: number[] = [];
  for (let c = start; c <= end; c = mult ? c * k : c + k) out.push(Math.round(c));
  return out;
}

function percentile(sorted: number[], q: number): number {
  return sorted.length === 0 ? 0 : sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
}

function unary<Res>(fn: (cb: (e: grpc.ServiceError | null, r: Res) => void) => unknown): Promise<Res> {
  return new Promise((resolve, reject) => fn((e, r) => (e ? reject(e) : resolve(r))));
}

async function serverStats(client: GRPCInferenceServiceClient, o: BenchOptions): Promise<ModelStatistics | null> {
  try {
    const res = await unary<ModelStatisticsResponse>((cb) => client.modelStatistics({ name: o.model, version: o.modelVersion }, cb));
    return res.modelStats[0] ?? null;
  } catch {
    return null;
  }
}

function serverSplit(before: ModelStatistics | null, after: ModelStatistics | null): LevelReport['server'] {
  if (!before || !after) return undefined;
  const d = (f: (s: ModelStatistics) => { count: bigint; ns: bigint } | undefined) => {
    const a = f(after);
    const b = f(before);
    const count = Number((a?.count ?? 0n) - (b?.count ?? 0n));
    return count > 0 ? Number((a?.ns ?? 0n) - (b?.ns ?? 0n)) / count / 1000 : 0;
  };
  return {
    queueUs: d((s) => s.inferenceStats?.queue),
    computeInputUs: d((s) => s.inferenceStats?.computeInput),
    computeInferUs: d((s) => s.inferenceStats?.computeInfer),
    computeOutputUs: d((s) => s.inferenceStats?.computeOutput),
    executions: Number(after.executionCount - before.executionCount),
    inferences: Number(after.inferenceCount - before.inferenceCount),
  };
}

async function tensorSpecs(client: GRPCInferenceServiceClient, o: BenchOptions): Promise<{ tensors: TensorSpec[]; batched: boolean }> {
  if (o.inputs) return { tensors: o.inputs, batched: o.inputs.every((t) => t.shape[0] === -1) };
  const meta = await unary<ModelMetadataResponse>((cb) => client.modelMetadata({ name: o.model, version: o.modelVersion }, cb));
  const tensors = meta.inputs.map((t) => ({ name: t.name, datatype: t.datatype, shape: t.shape.map(Number) }));
  const cfg = await unary<{ config?: { maxBatchSize: number } }>((cb) =>
    client.modelConfig({ name: o.model, version: o.modelVersion }, cb as never),
  ).catch(() => null);
  return { tensors, batched: (cfg?.config?.maxBatchSize ?? 0) > 0 };
}

export async function runBench(o: BenchOptions, log: (line: string) => void = console.log): Promise<BenchReport> {
  const meta = new GRPCInferenceServiceClient(o.url, grpc.credentials.createInsecure());
  const client = new RawInferClient(o.url);
  try {
    const { tensors, batched } = await tensorSpecs(meta, o);
    const inputs = await buildInputs(tensors, batched, o.batchSize, o.shapes, o.inputData);
    const bodies = encodeRequests({ model: o.model, version: o.modelVersion, inputs });
    const rows = batched ? o.batchSize : 1;
    const levels: LevelReport[] = [];
    const cpu = new CpuMeter(o.serverPid);
    const plan = o.requestRate > 0 ? [0] : o.concurrency;
    log(`model '${o.model}' at ${o.url}, batch ${rows}, ${o.requestRate > 0 ? `${o.requestRate} req/s` : `concurrency ${plan.join(', ')}`}`);
    log('concurrency  infer/s    req/s    p50 µs    p90 µs    p99 µs  errors  server queue/compute µs  cpu µs/req client/server  busy');
    for (const c of plan) {
      const bar = new ProgressBar(o.requestRate > 0 ? `rate ${o.requestRate}` : `c${c}`);
      const load = {
        model: o.model,
        version: o.modelVersion,
        inputs,
        concurrency: c,
        requestRate: o.requestRate,
        requestCount: o.requestCount,
        durationMs: o.durationMs,
        timeoutMs: o.timeoutMs,
      };
      await warmUp(client, bodies, load, o.warmup, o.warmupMs);
      const before = await serverStats(meta, o);
      const cpuBefore = await cpu.mark();
      const started = Date.now();
      const result = await runLoad(client, bodies, {
        ...load,
        onProgress: (done) =>
          bar.update(
            o.durationMs > 0 ? (Date.now() - started) / o.durationMs : done / o.requestCount,
            `${done} requests`,
          ),
      });
      const cpuAfter = await cpu.mark();
      bar.done();
      const after = await serverStats(meta, o);
      const sorted = [...result.latenciesUs].sort((a, b) => a - b);
      const mean = sorted.reduce((a, b) => a + b, 0) / Math.max(1, sorted.length);
      const level: LevelReport = {
        concurrency: c,
        requestRate: o.requestRate,
        batchSize: rows,
        requests: result.requests,
        errors: result.errors,
        ...(result.firstError ? { firstError: result.firstError } : {}),
        elapsedS: result.elapsedS,
        requestsPerS: result.requests / result.elapsedS,
        inferencesPerS: (result.requests * rows) / result.elapsedS,
        latencyUs: { p50: percentile(sorted, 0.5), p90: percentile(sorted, 0.9), p99: percentile(sorted, 0.99), mean },
        cpu: CpuMeter.split(cpuBefore, cpuAfter, result.requests + result.errors),
        server: serverSplit(before, after),
      };
      levels.push(level);
      const s = level.server;
      log(
        `${String(o.requestRate > 0 ? '-' : c).padStart(11)}  ${level.inferencesPerS.toFixed(0).padStart(7)}  ${level.requestsPerS.toFixed(0).padStart(7)}` +
          `  ${level.latencyUs.p50.toFixed(0).padStart(8)}  ${level.latencyUs.p90.toFixed(0).padStart(8)}  ${level.latencyUs.p99.toFixed(0).padStart(8)}` +
          `  ${String(level.errors).padStart(6)}  ${(s ? `${s.queueUs.toFixed(0)} / ${(s.computeInputUs + s.computeInferUs + s.computeOutputUs).toFixed(0)}` : 'n/a').padStart(23)}` +
          `  ${`${level.cpu.clientUsPerRequest.toFixed(0)} / ${level.cpu.serverUsPerRequest?.toFixed(0) ?? 'n/a'}`.padStart(25)}` +
          `  ${level.cpu.machineBusyPercent === undefined ? 'n/a' : `${level.cpu.machineBusyPercent.toFixed(0)} %`}`,
      );
      if (result.firstError) log(`  first error: ${result.firstError}`);
    }
    return { url: o.url, model: o.model, batchSize: rows, levels };
  } finally {
    client.close();
    meta.close();
  }
}

const positive = (name: string) => (v: string): number => {
  const n = Number(v);
  if (!Number.isFinite(n) || n < 0) throw new Error(`${name} must be a non-negative number, got '${v}'`);
  return n;
};

export function registerBench(program: Command): void {
  program
    .command('bench')
    .description('measure a running server: throughput and latency of ModelInfer across concurrency levels')
    .requiredOption('-m, --model <name>', 'model to drive')
    .addOption(new Option('-u, --url <host:port>', 'server gRPC address').default('127.0.0.1:8001'))
    .addOption(new Option('-x, --model-version <v>', "model version ('' = latest ready)").default(''))
    .addOption(new Option('--concurrency <range>', 'requests in flight: 1:64:x2, 1:8:2 or 1,4,16').default('1:16:x2'))
    .addOption(new Option('--request-rate <r>', 'open loop at r requests/s instead of a concurrency range').argParser(positive('--request-rate')).default(0))
    .addOption(new Option('--request-count <n>', 'requests per level (0: use --duration-ms)').argParser(positive('--request-count')).default(0))
    .addOption(new Option('--duration-ms <ms>', 'time per level').argParser(positive('--duration-ms')).default(5000))
    .addOption(new Option('--warmup <n>', 'untimed requests, one at a time, before each level').argParser(positive('--warmup')).default(50))
    .addOption(new Option('--warmup-ms <ms>', "untimed load at the level's own concurrency before it is measured").argParser(positive('--warmup-ms')).default(0))
    .addOption(new Option('-b, --batch-size <n>', 'rows per request (batching models)').argParser(positive('-b')).default(1))
    .addOption(new Option('--shape <NAME:d1,d2...>', 'shape of a variable-size input, batch dim left out (repeatable)').argParser((v: string, prev: string[]) => [...prev, v]).default([]))
    .addOption(new Option('--input <NAME:DTYPE:d1,d2...>', 'describe an input instead of asking ModelMetadata; -1 first dim = batch (repeatable)').argParser((v: string, prev: string[]) => [...prev, v]).default([]))
    .addOption(new Option('--input-data <file|random>', 'JSON file {"NAME": [values]} or random').default('random'))
    .addOption(new Option('--timeout-ms <ms>', 'deadline of each request').argParser(positive('--timeout-ms')).default(30_000))
    .addOption(new Option('--server-pid <pid>', "the server's process on this machine: report its CPU per request (Linux)").argParser(positive('--server-pid')).default(0))
    .option('--json <file>', 'write the report as JSON')
    .option('--svg <file>', 'write a plot of throughput and p99 latency against concurrency')
    .action(async (opts: Record<string, unknown>) => {
      const options: BenchOptions = {
        url: opts.url as string,
        model: opts.model as string,
        modelVersion: opts.modelVersion as string,
        concurrency: parseConcurrency(opts.concurrency as string),
        requestRate: opts.requestRate as number,
        requestCount: opts.requestCount as number,
        durationMs: (opts.requestCount as number) > 0 ? 0 : (opts.durationMs as number),
        warmup: opts.warmup as number,
        warmupMs: opts.warmupMs as number,
        batchSize: Math.max(1, opts.batchSize as number),
        shapes: new Map((opts.shape as string[]).map(parseShapeOverride)),
        inputs: (opts.input as string[]).length > 0 ? (opts.input as string[]).map(parseInputSpec) : null,
        inputData: opts.inputData === 'random' ? null : (opts.inputData as string),
        timeoutMs: opts.timeoutMs as number,
        serverPid: opts.serverPid as number,
      };
      const report = await runBench(options);
      if (opts.json) await fs.writeFile(opts.json as string, JSON.stringify(report, null, 2) + '\n');
      if (opts.svg) {
        const title = `inferd bench: ${report.model}, batch ${report.batchSize}`;
        const points = report.levels.map((l) => ({ concurrency: l.concurrency, throughput: l.inferencesPerS, p99Ms: l.latencyUs.p99 / 1000 }));
        await fs.writeFile(opts.svg as string, benchSvg(title, points));
      }
    });
}

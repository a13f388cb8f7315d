// `npm run bench`: the side-by-side suite, every figure measured in this one run on this machine. Servers and the
// load client (`inferd bench`) each run in their own process. Targets: the transport ceiling (bare grpc-js echo of
// the same message sizes), the same echo through one worker-thread round trip per event-loop turn (the floor of
// any server that runs its models in worker threads: hop-echo-server.ts), the same hop with the real model run
// on each trip's rows in the worker (the floor of any worker-thread server of this model), the minimal OIP server (that
// hop and model with each request decoded and each answer encoded from its own output rows by the generated codec: the
// least a server built from inferd's parts does), the naive peer (proto-loader + onnxruntime on the main thread),
// inferd without and with dynamic batching; the engine ceiling is onnxruntime's
// session.run in-process. Tiny (9.6k params) and medium (2.9M params) MLPs, concurrency 1 and 32, batch-1 and
// batch-8 requests. Figures are steady state: every server is driven untimed first and every level after an
// untimed warm-up at its own concurrency (a server measured in its first seconds spends much of its CPU
// compiling); BENCH_ROUNDS (3) rounds in alternating order, each figure the median round. Prints ratios, where the
// CPU goes (client and server CPU per request, machine busy), each target as met, missed or out of reach (the
// minimal OIP server misses it too), and writes bench/results/suite.json.

import { spawn } from 'node:child_process';
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as ort from 'onnxruntime-node';
import type { BenchReport, LevelReport } from '../src/cli/bench';
import { REPO_ROOT, startBenchServer, startServerProcess } from './server-process';
import { nowUs, percentiles } from './stats';

const CLI = path.join(REPO_ROOT, 'dist/src/cli/main.js');
const DURATION_MS = Number(process.env.BENCH_DURATION_MS ?? 3000);
/** Untimed load at each level's concurrency before it is measured (the client is a fresh process every time). */
const LEVEL_WARMUP_MS = Number(process.env.BENCH_LEVEL_WARMUP_MS ?? 1500);
/** Untimed load on each server before its first round: V8 compiles its hot paths over the first seconds of traffic. */
const SERVER_WARMUP_MS = Number(process.env.BENCH_SERVER_WARMUP_MS ?? 5000);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const ALL_MODELS = [
  { key: 'tiny', dir: 'test/fixtures/tiny_mlp', inDim: 64, outDim: 10 },
  { key: 'medium', dir: 'test/fixtures/medium_mlp', inDim: 512, outDim: 10 },
] as const;
/** BENCH_MODELS=tiny and BENCH_BATCHES=1 narrow a run while iterating (the targets need the full suite). */
const MODELS = ALL_MODELS.filter((m) => (process.env.BENCH_MODELS ?? m.key).split(',').includes(m.key));
const BATCHES = (process.env.BENCH_BATCHES ?? '1,8').split(',').map(Number);
const CONCURRENCY = [1, 32];
type Target = 'echo' | 'echo+hop' | 'echo+hop+engine' | 'minimal OIP' | 'naive' | 'inferd' | 'inferd+batching';
const TARGETS: Target[] = ['echo', 'echo+hop', 'echo+hop+engine', 'minimal OIP', 'naive', 'inferd', 'inferd+batching'];
/** The floors each target is judged against, least work first; the last (minimal OIP) decides "out of reach". */
const FLOORS: Target[] = ['echo+hop', 'echo+hop+engine', 'minimal OIP'];

interface Row {
  model: string;
  batch: number;
  concurrency: number;
  target: Target;
  level: LevelReport;
}

/** Runs `inferd bench` in its own process and returns its JSON report. */
async function benchClient(
  address: string,
  serverPid: number,
  model: string,
  inDim: number,
  batch: number,
  load = { concurrency: CONCURRENCY, durationMs: DURATION_MS, warmupMs: LEVEL_WARMUP_MS },
): Promise<BenchReport> {
  const out = path.join(os.tmpdir(), `inferd-suite-${process.pid}-${Date.now()}.json`);
  const args = [CLI, 'bench', '-u', address, '-m', model, '-b', String(batch), '--input', `INPUT:FP32:-1,${inDim}`,
    '--concurrency', load.concurrency.join(','), '--duration-ms', String(load.durationMs), '--warmup', '200',
    '--warmup-ms', String(load.warmupMs), '--server-pid', String(serverPid), '--json', out];
  await new Promise<void>((resolve, reject) => {
    const child = spawn(process.execPath, args, { stdio: ['ignore', 'ignore', 'inherit'] });
    child.once('exit', (code) => (code === 0 ? resolve() : reject(new Error(`inferd bench exited with ${code}`))));
  });
  const report = JSON.parse(await fs.readFile(out, 'utf8')) as BenchReport;
  await fs.rm(out);
  return report;
}

async function engineCeiling(file: string, inDim: number, batch: number): Promise<{ p50Us: number; samplesPerS: number }> {
  const session = await ort.InferenceSession.create(file);
  const x = new Float32Array(batch * inDim).map(() => Math.random());
  const samples: number[] = [];
  const t0 = nowUs();
  for (let i = 0; i < 3000; i++) {
    const t = nowUs();
    await session.run({ INPUT: new ort.Tensor('float32', x, [batch, inDim]) });
    if (i >= 300) samples.push(nowUs() - t);
  }
  const elapsed = (nowUs() - t0) / 1e6;
  await session.release();
  return { p50Us: percentiles(samples).p50, samplesPerS: (3000 * batch) / elapsed };
}

async function inferdRepository(): Promise<string> {
  const repo = await fs.mkdtemp(path.join(os.tmpdir(), 'inferd-suite-repo-'));
  for (const m of MODELS) {
    for (const [suffix, extra] of [['plain', ''], ['batching', 'dynamic_batching { }\n']]) {
      const dir = path.join(repo, `${m.key}_${suffix}`);
      await fs.mkdir(path.join(dir, '1'), { recursive: true });
      await fs.copyFile(path.join(REPO_ROOT, m.dir, '1/model.onnx'), path.join(dir, '1/model.onnx'));
      await fs.writeFile(path.join(dir, 'config.pbtxt'), `max_batch_size: 32\n${extra}`);
    }
  }
  return repo;
}

/**
 * How a target fared in this run: met; out of reach (the minimal OIP server misses it too, so no server built from
 * inferd's parts, which must at least decode, hop, run the model and encode, meets it on this machine in this run); or
 * missed (that floor meets it). `floors` holds the same measure for each of FLOORS.
 */
interface TargetVerdict {
  what: string;
  goal: number;
  got: number;
  floors: Partial<Record<Target, number>>;
  verdict: 'met' | 'missed' | 'out of reach';
  text: string;
}

function judge(what: string, got: number, goal: number, bound: 'at least' | 'at most', floors: number[], format: (v: number) => string): TargetVerdict {
  const meets = (v: number): boolean => (bound === 'at least' ? v >= goal : v <= goal);
  const verdict = meets(got) ? 'met' : meets(floors[floors.length - 1]) ? 'missed' : 'out of reach';
  return {
    what,
    goal,
    got,
    floors: Object.fromEntries(FLOORS.map((t, i) => [t, floors[i]])),
    verdict,
    text: `${format(got)} [${floors.map(format).join(', ')}]`,
  };
}

const fmtK = (v: number): string => (v >= 1000 ? `${(v / 1000).toFixed(2)}k` : v.toFixed(0));

async function main(): Promise<void> {
  const started = Date.now();
  const rows: Row[] = [];
  const engine: Record<string, { p50Us: number; samplesPerS: number }> = {};
  for (const m of MODELS) {
    for (const b of [1, 8, 32]) engine[`${m.key}/${b}`] = await engineCeiling(path.join(REPO_ROOT, m.dir, '1/model.onnx'), m.inDim, b);
  }
  const repo = await inferdRepository();
  const inferd = await startServerProcess(['--model-repository', repo]);
  try {
    for (const m of MODELS) {
      const modelFile = path.join(REPO_ROOT, m.dir, '1/model.onnx');
      const naive = await startBenchServer('naive-peer.js', [modelFile]);
      try {
        for (const batch of BATCHES) {
          const echo = await startBenchServer('echo-server.js', [m.key, String(batch), String(m.outDim)]);
          const hop = await startBenchServer('hop-echo-server.js', [m.key, String(batch), String(m.outDim)]);
          const hopEngine = await startBenchServer('hop-echo-server.js', [m.key, String(batch), String(m.outDim), modelFile, String(m.inDim)]);
          const minimalOip = await startBenchServer('hop-echo-server.js', [m.key, String(batch), String(m.outDim), modelFile, String(m.inDim), 'codec']);
          try {
            const runs: Array<[Target, string, number, string]> = [
              ['echo', echo.address, echo.pid, m.key],
              ['echo+hop', hop.address, hop.pid, m.key],
              ['echo+hop+engine', hopEngine.address, hopEngine.pid, m.key],
              ['minimal OIP', minimalOip.address, minimalOip.pid, m.key],
              ['naive', naive.address, naive.pid, m.key],
              ['inferd', inferd.address, inferd.child.pid ?? 0, `${m.key}_plain`],
              ['inferd+batching', inferd.address, inferd.child.pid ?? 0, `${m.key}_batching`],
            ];
            for (const [target, address, pid, model] of runs) {
              process.stderr.write(`${m.key} batch ${batch}: ${target} (warm-up)\n`);
              await benchClient(address, pid, model, m.inDim, batch, { concurrency: [Math.max(...CONCURRENCY)], durationMs: SERVER_WARMUP_MS, warmupMs: 0 });
            }
            // Rounds alternate the order of the targets, so a slow spell of this shared machine does not land on
            // one target only; each level keeps its median round by throughput.
            const rounds = new Map<string, Row[]>();
            for (let round = 0; round < ROUNDS; round++) {
              for (const [target, address, pid, model] of round % 2 === 0 ? runs : [...runs].reverse()) {
                process.stderr.write(`${m.key} batch ${batch}: ${target} (round ${round + 1} of ${ROUNDS})\n`);
                const report = await benchClient(address, pid, model, m.inDim, batch);
                for (const level of report.levels) {
                  const key = `${target}/${level.concurrency}`;
                  rounds.set(key, [...(rounds.get(key) ?? []), { model: m.key, batch, concurrency: level.concurrency, target, level }]);
                }
              }
            }
            for (const measured of rounds.values()) {
              measured.sort((a, b) => a.level.inferencesPerS - b.level.inferencesPerS);
              rows.push(measured[Math.floor(measured.length / 2)]);
            }
          } finally {
            await echo.stop();
            await hop.stop();
            await hopEngine.stop();
            await minimalOip.stop();
          }
        }
      } finally {
        await naive.stop();
      }
    }
  } finally {
    await inferd.stop();
    await fs.rm(repo, { recursive: true, force: true });
  }

  const find = (model: string, batch: number, c: number, t: Target): LevelReport =>
    (rows.find((r) => r.model === model && r.batch === batch && r.concurrency === c && r.target === t) as Row).level;
  console.log(
    `\ninferd side-by-side suite (${os.cpus().length} cores, ${DURATION_MS} ms per level after ${LEVEL_WARMUP_MS} ms untimed, ` +
      `each server warmed ${SERVER_WARMUP_MS} ms first, median of ${ROUNDS} rounds, client in its own process)`,
  );
  console.log('\nengine ceiling: onnxruntime session.run in-process');
  for (const m of MODELS) {
    console.log(`  ${m.key.padEnd(7)}` + [1, 8, 32].map((b) => `batch ${b}: p50 ${engine[`${m.key}/${b}`].p50Us.toFixed(0)} µs, ${fmtK(engine[`${m.key}/${b}`].samplesPerS)} samples/s`).join(';  '));
  }
  console.log('\nthroughput in inferences/s (ratio to echo) and p50 latency µs');
  console.log('model   batch  conc  ' + TARGETS.map((t) => t.padEnd(26)).join(''));
  for (const m of MODELS) {
    for (const b of BATCHES) {
      for (const c of CONCURRENCY) {
        const echo = find(m.key, b, c, 'echo');
        const cells = TARGETS.map((t) => {
          const l = find(m.key, b, c, t);
          return `${fmtK(l.inferencesPerS)} (${(l.inferencesPerS / echo.inferencesPerS).toFixed(2)}×) ${l.latencyUs.p50.toFixed(0)}µs`.padEnd(26);
        });
        console.log(`${m.key.padEnd(8)}${String(b).padStart(5)}${String(c).padStart(6)}  ${cells.join('')}`);
      }
    }
  }
  console.log('\nwhere the CPU goes: µs of CPU per request in the client and in the server process (all threads), machine busy %');
  console.log('model   batch  conc  ' + TARGETS.map((t) => t.padEnd(26)).join(''));
  for (const m of MODELS) {
    for (const b of BATCHES) {
      for (const c of CONCURRENCY) {
        const cells = TARGETS.map((t) => {
          const { clientUsPerRequest: cl, serverUsPerRequest: sv, machineBusyPercent: busy } = find(m.key, b, c, t).cpu;
          return `${cl.toFixed(0)} + ${sv?.toFixed(0) ?? '?'} µs, ${busy?.toFixed(0) ?? '?'} %`.padEnd(26);
        });
        console.log(`${m.key.padEnd(8)}${String(b).padStart(5)}${String(c).padStart(6)}  ${cells.join('')}`);
      }
    }
  }
  const ratio = (a: [string, number, number, Target], b: [string, number, number, Target]): number | null => {
    const has = (k: [string, number, number, Target]): boolean => rows.some((r) => r.model === k[0] && r.batch === k[1] && r.concurrency === k[2] && r.target === k[3]);
    return has(a) && has(b) ? find(...a).inferencesPerS / find(...b).inferencesPerS : null;
  };
  // Three decimals: a ratio a hair under its goal must not print as the goal.
  const times = (v: number): string => `${v.toFixed(3)}×`;
  const micros = (v: number): string => `${v.toFixed(0)} µs`;
  const verdicts: TargetVerdict[] = [];
  /** A throughput target at c32: inferd+batching against `of`, with the two worker-thread floors on the same measure. */
  const throughput = (what: string, model: string, batch: number, of: Target, goal: number): void => {
    const got = ratio([model, batch, 32, 'inferd+batching'], [model, batch, 32, of]);
    if (got === null) return;
    const floors = FLOORS.map((t) => ratio([model, batch, 32, t], [model, batch, 32, of]) as number);
    verdicts.push(judge(what, got, goal, 'at least', floors, times));
  };
  throughput('tiny, batch-1, c32, inferd+batching ≥ 0.85× echo', 'tiny', 1, 'echo', 0.85);
  throughput('medium, batch-1, c32, inferd+batching ≥ 0.8× echo', 'medium', 1, 'echo', 0.8);
  throughput('medium, batch-8, c32, inferd+batching ≥ 1.4× naive', 'medium', 8, 'naive', 1.4);
  for (const m of MODELS) {
    if (!BATCHES.includes(1)) continue;
    const budget = find(m.key, 1, 1, 'echo').latencyUs.p50 + engine[`${m.key}/1`].p50Us + 60;
    const floors = FLOORS.map((t) => find(m.key, 1, 1, t).latencyUs.p50);
    const what = `${m.key} c1 p50 ≤ echo p50 + engine p50 + 60 µs = ${micros(budget)}`;
    verdicts.push(judge(what, find(m.key, 1, 1, 'inferd').latencyUs.p50, budget, 'at most', floors, micros));
  }
  console.log(`\ntargets (in brackets, the same measure for the floors: ${FLOORS.join(', ')})`);
  for (const v of verdicts) console.log(`  ${v.verdict.padEnd(12)}  ${v.what}: ${v.text}`);
  if (verdicts.some((v) => v.verdict === 'out of reach')) {
    console.log('  (out of reach: the minimal OIP server, which only decodes, hops, runs the model and encodes, misses the goal too in this run)');
  }
  if (MODELS.length < ALL_MODELS.length || BATCHES.length < 2) {
    console.log(`\nnarrowed run (${((Date.now() - started) / 1000).toFixed(0)} s): bench/results/suite.json left as it was`);
    return;
  }
  const out = path.join(REPO_ROOT, 'bench/results/suite.json');
  await fs.mkdir(path.dirname(out), { recursive: true });
  await fs.writeFile(out, JSON.stringify({ cores: os.cpus().length, durationMs: DURATION_MS, levelWarmupMs: LEVEL_WARMUP_MS, serverWarmupMs: SERVER_WARMUP_MS, rounds: ROUNDS, engine, targets: verdicts, rows }, null, 2) + '\n');
  console.log(`\nwrote ${path.relative(REPO_ROOT, out)} in ${((Date.now() - started) / 1000).toFixed(0)} s`);
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});

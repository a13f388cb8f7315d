// Measures the main-thread ↔ worker-thread hand-off that every inference pays twice: (1) postMessage with the
// payload's ArrayBuffer transferred, (2) a SharedArrayBuffer slot + Atomics, the worker blocking in Atomics.wait
// and the main thread awaiting Atomics.waitAsync (it must never block its event loop), as
// src/runtime/shared-channel.ts does, (3) the same with the worker awaiting Atomics.waitAsync too.
// Round trips of an echo worker at the payload sizes of a tiny, a medium batch-1 and a medium batch-8 request,
// back to back; then (2) from idle, as at concurrency 1: the main thread sleeps in a 1 ms timer between trips, so
// each trip wakes two sleeping threads, and the CPU each trip costs (every thread of the process) is set against
// the same timer loop without trips. That CPU is what a thread's sleep and wake costs on this machine.

import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';
import { nowUs, percentiles, type Percentiles } from './stats';

const ROUNDS = 20_000;
const WARMUP = 2_000;
const SIZES = [256, 2048, 16384];
/** Trips from idle, each after a 1 ms sleep of the main thread. */
const IDLE_ROUNDS = 2_000;
const IDLE_GAP_MS = 1;
/** Atomics.waitAsync (Node ≥ 16; typed in lib ES2024, newer than this project's ES2022). */
type WaitAsync = (a: Int32Array, index: number, value: number) => { async: boolean; value: Promise<string> | string };
const waitAsync = (Atomics as unknown as { waitAsync: WaitAsync }).waitAsync;

/** Control words: [0] request sequence, [1] reply sequence, [2] payload length. */
const CTRL = 3;

interface SabData {
  kind: 'sab' | 'sab-async';
  sab: SharedArrayBuffer;
}

function workerMain(): void {
  const port = parentPort!;
  const data = workerData as SabData | { kind: 'post' };
  if (data.kind === 'post') {
    port.on('message', (msg: { buf: ArrayBuffer }) => port.postMessage(msg, [msg.buf]));
    return;
  }
  const ctrl = new Int32Array(data.sab, 0, CTRL);
  const bytes = new Uint8Array(data.sab, 16);
  let seen = 0;
  const answer = (): void => {
    // Touch the payload as a worker would when wrapping it in a tensor.
    bytes[0] ^= 1;
    Atomics.store(ctrl, 1, seen);
    Atomics.notify(ctrl, 1);
  };
  if (data.kind === 'sab') {
    for (;;) {
      Atomics.wait(ctrl, 0, seen);
      seen = Atomics.load(ctrl, 0);
      if (seen < 0) return;
      answer();
    }
  }
  // A pending waitAsync does not keep a thread alive; a listening port does (as in the real worker).
  port.on('message', () => undefined);
  void (async () => {
    for (;;) {
      const r = waitAsync(ctrl, 0, seen);
      if (r.async) await r.value;
      seen = Atomics.load(ctrl, 0);
      if (seen < 0) process.exit(0);
      answer();
    }
  })();
}

async function postMessageRoundTrips(size: number): Promise<Percentiles> {
  const w = new Worker(__filename, { workerData: { kind: 'post' } });
  const samples: number[] = [];
  for (let i = 0; i < WARMUP + ROUNDS; i++) {
    const buf = new ArrayBuffer(size);
    const t0 = nowUs();
    await new Promise<void>((resolve) => {
      w.once('message', () => resolve());
      w.postMessage({ buf }, [buf]);
    });
    if (i >= WARMUP) samples.push(nowUs() - t0);
  }
  await w.terminate();
  return percentiles(samples);
}

interface TripOptions {
  rounds: number;
  warmup: number;
  /** Sleep of the main thread before each trip (0: back to back). */
  gapMs: number;
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
const cpuUs = (since: NodeJS.CpuUsage): number => {
  const u = process.cpuUsage(since);
  return u.user + u.system;
};

/** Round trips through the shared slot; also the process's CPU per measured round (gap included). */
async function sabRoundTrips(size: number, kind: SabData['kind'], o: TripOptions = { rounds: ROUNDS, warmup: WARMUP, gapMs: 0 }): Promise<{ p: Percentiles; cpuUs: number }> {
  const sab = new SharedArrayBuffer(16 + size);
  const ctrl = new Int32Array(sab, 0, CTRL);
  const bytes = new Uint8Array(sab, 16);
  const payload = new Uint8Array(size).fill(7);
  const w = new Worker(__filename, { workerData: { kind, sab } });
  const samples: number[] = [];
  let cpuFrom = process.cpuUsage();
  for (let i = 1; i <= o.warmup + o.rounds; i++) {
    if (i === o.warmup + 1) cpuFrom = process.cpuUsage();
    if (o.gapMs > 0) await sleep(o.gapMs);
    const t0 = nowUs();
    bytes.set(payload);
    Atomics.store(ctrl, 2, size);
    Atomics.store(ctrl, 0, i);
    Atomics.notify(ctrl, 0);
    while (Atomics.load(ctrl, 1) !== i) {
      const r = waitAsync(ctrl, 1, i - 1);
      if (r.async) await r.value;
    }
    if (i > o.warmup) samples.push(nowUs() - t0);
  }
  const cpu = cpuUs(cpuFrom) / o.rounds;
  Atomics.store(ctrl, 0, -1);
  Atomics.notify(ctrl, 0);
  await w.terminate();
  return { p: percentiles(samples), cpuUs: cpu };
}

/** CPU per iteration of the main thread sleeping `IDLE_GAP_MS` in a timer, nothing else. */
async function idleLoopCpuUs(): Promise<number> {
  const from = process.cpuUsage();
  for (let i = 0; i < IDLE_ROUNDS; i++) await sleep(IDLE_GAP_MS);
  return cpuUs(from) / IDLE_ROUNDS;
}

async function main(): Promise<void> {
  console.log(`worker hand-off round trip, ${ROUNDS} rounds each (µs)`);
  console.log('payload   postMessage p50/p99   SAB, worker blocks p50/p99   SAB, both waitAsync p50/p99   ratios p50 to postMessage');
  for (const size of SIZES) {
    const post = await postMessageRoundTrips(size);
    const sab = (await sabRoundTrips(size, 'sab')).p;
    const sabAsync = (await sabRoundTrips(size, 'sab-async')).p;
    const cell = (p: Percentiles, w: number): string => `${p.p50.toFixed(1)} / ${p.p99.toFixed(1)}`.padStart(w);
    console.log(
      `${String(size).padStart(6)} B ${cell(post, 20)} ${cell(sab, 28)} ${cell(sabAsync, 30)}   ` +
        `${(sab.p50 / post.p50).toFixed(2)}× / ${(sabAsync.p50 / post.p50).toFixed(2)}×`,
    );
  }
  const timerOnly = await idleLoopCpuUs();
  const fromIdle = await sabRoundTrips(SIZES[0], 'sab', { rounds: IDLE_ROUNDS, warmup: 200, gapMs: IDLE_GAP_MS });
  const tripCpu = fromIdle.cpuUs - timerOnly;
  console.log(
    `\nfrom idle (main thread sleeps ${IDLE_GAP_MS} ms between trips, ${IDLE_ROUNDS} trips of ${SIZES[0]} B, SAB, worker blocks):\n` +
      `  trip p50 ${fromIdle.p.p50.toFixed(1)} µs, p99 ${fromIdle.p.p99.toFixed(1)} µs\n` +
      `  CPU per iteration: ${timerOnly.toFixed(0)} µs for the timer sleep alone (one thread's sleep and wake), ` +
      `${fromIdle.cpuUs.toFixed(0)} µs with the trip: the trip costs ${tripCpu.toFixed(0)} µs of CPU (two more sleeps and wakes)`,
  );
}

if (isMainThread) {
  main().catch((err: unknown) => {
    console.error(err);
    process.exit(1);
  });
} else {
  workerMain();
}

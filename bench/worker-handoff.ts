// Measures the main-thread ↔ worker-thread hand-off that every inference pays twice: (1) postMessage with the
// payload's ArrayBuffer transferred (what src/runtime uses), (2) a SharedArrayBuffer slot + Atomics, the worker
// blocking in Atomics.wait and the main thread awaiting Atomics.waitAsync (it must never block its event loop).
// Round trips of an echo worker at the payload sizes of a tiny, a medium batch-1 and a medium batch-8 request.

import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';
import { nowUs, percentiles, type Percentiles } from './stats';

const ROUNDS = 20_000;
const WARMUP = 2_000;
const SIZES = [256, 2048, 16384];
/** Atomics.waitAsync (Node ≥ 16; typed in lib ES2024, newer than this project's ES2022). */
type WaitAsync = (a: Int32Array, index: number, value: number) => { async: boolean; value: Promise<string> | string };
const waitAsync = (Atomics as unknown as { waitAsync: WaitAsync }).waitAsync;

/** Control words: [0] request sequence, [1] reply sequence, [2] payload length. */
const CTRL = 3;

interface SabData {
  kind: 'sab';
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
  for (;;) {
    Atomics.wait(ctrl, 0, seen);
    seen = Atomics.load(ctrl, 0);
    if (seen < 0) return;
    // Touch the payload as a worker would when wrapping it in a tensor.
    bytes[0] ^= 1;
    Atomics.store(ctrl, 1, seen);
    Atomics.notify(ctrl, 1);
  }
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

async function sabRoundTrips(size: number): Promise<Percentiles> {
  const sab = new SharedArrayBuffer(16 + size);
  const ctrl = new Int32Array(sab, 0, CTRL);
  const bytes = new Uint8Array(sab, 16);
  const payload = new Uint8Array(size).fill(7);
  const w = new Worker(__filename, { workerData: { kind: 'sab', sab } });
  const samples: number[] = [];
  for (let i = 1; i <= WARMUP + ROUNDS; i++) {
    const t0 = nowUs();
    bytes.set(payload);
    Atomics.store(ctrl, 2, size);
    Atomics.store(ctrl, 0, i);
    Atomics.notify(ctrl, 0);
    while (Atomics.load(ctrl, 1) !== i) {
      const r = waitAsync(ctrl, 1, i - 1);
      if (r.async) await r.value;
    }
    if (i > WARMUP) samples.push(nowUs() - t0);
  }
  Atomics.store(ctrl, 0, -1);
  Atomics.notify(ctrl, 0);
  await w.terminate();
  return percentiles(samples);
}

async function main(): Promise<void> {
  console.log(`worker hand-off round trip, ${ROUNDS} rounds each (µs)`);
  console.log('payload   postMessage+transfer p50/p99   SAB+Atomics.waitAsync p50/p99   ratio p50');
  for (const size of SIZES) {
    const post = await postMessageRoundTrips(size);
    const sab = await sabRoundTrips(size);
    console.log(
      `${String(size).padStart(6)} B  ${post.p50.toFixed(1).padStart(10)} / ${post.p99.toFixed(1).padEnd(12)}` +
        `${sab.p50.toFixed(1).padStart(14)} / ${sab.p99.toFixed(1).padEnd(14)}  ${(sab.p50 / post.p50).toFixed(2)}×`,
    );
  }
}

if (isMainThread) {
  main().catch((err: unknown) => {
    console.error(err);
    process.exit(1);
  });
} else {
  workerMain();
}

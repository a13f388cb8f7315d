// Measures the main-thread ↔ worker-thread hand-off that every inference pays twice: (1) postMessage with the
// payload's ArrayBuffer transferred, (2) a SharedArrayBuffer slot + Atomics, the worker blocking in Atomics.wait
// and the main thread awaiting Atomics.waitAsync (it must never block its event loop), (3) the same with the worker
// awaiting Atomics.waitAsync too, as src/runtime/shared-channel.ts does (onnxruntime-node's session.run needs the
// worker's event loop to turn, so the worker cannot block).
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

async function sabRoundTrips(size: number, kind: SabData['kind']): Promise<Percentiles> {
  const sab = new SharedArrayBuffer(16 + size);
  const ctrl = new Int32Array(sab, 0, CTRL);
  const bytes = new Uint8Array(sab, 16);
  const payload = new Uint8Array(size).fill(7);
  const w = new Worker(__filename, { workerData: { kind, sab } });
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
  console.log('payload   postMessage p50/p99   SAB, worker blocks p50/p99   SAB, both waitAsync p50/p99   ratios p50 to postMessage');
  for (const size of SIZES) {
    const post = await postMessageRoundTrips(size);
    const sab = await sabRoundTrips(size, 'sab');
    const sabAsync = await sabRoundTrips(size, 'sab-async');
    const cell = (p: Percentiles, w: number): string => `${p.p50.toFixed(1)} / ${p.p99.toFixed(1)}`.padStart(w);
    console.log(
      `${String(size).padStart(6)} B ${cell(post, 20)} ${cell(sab, 28)} ${cell(sabAsync, 30)}   ` +
        `${(sab.p50 / post.p50).toFixed(2)}× / ${(sabAsync.p50 / post.p50).toFixed(2)}×`,
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

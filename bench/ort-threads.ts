// Does onnxruntime's intra-op thread count or thread spinning matter on this machine? Runs session.run in a
// worker thread (as inferd does) for the tiny and medium models at batch 1 and 8, with 1 or 2 intra-op threads and
// spinning on or off, while the main thread runs a JS loop standing in for the gRPC event loop. Reports run p50,
// runs/s and how much main-thread work got done (spinning threads steal the cores it needs).

import * as path from 'node:path';
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';
import * as ort from 'onnxruntime-node';
import { REPO_ROOT } from './server-process';
import { nowUs, percentiles } from './stats';

const RUN_MS = 3000;

interface Case {
  file: string;
  inDim: number;
  batch: number;
  intra: number;
  spinning: boolean;
}

async function workerMain(c: Case): Promise<void> {
  const session = await ort.InferenceSession.create(c.file, {
    intraOpNumThreads: c.intra,
    interOpNumThreads: 1,
    extra: { session: { intra_op: { allow_spinning: c.spinning ? '1' : '0' } } },
  });
  const x = new Float32Array(c.batch * c.inDim).map(() => Math.random());
  for (let i = 0; i < 200; i++) await session.run({ INPUT: new ort.Tensor('float32', x, [c.batch, c.inDim]) });
  parentPort!.postMessage('ready');
  const samples: number[] = [];
  const end = nowUs() + RUN_MS * 1000;
  while (nowUs() < end) {
    const t = nowUs();
    await session.run({ INPUT: new ort.Tensor('float32', x, [c.batch, c.inDim]) });
    samples.push(nowUs() - t);
    // Leave a gap as a served request would (the next one is still on the wire): spinning threads fill it.
    const gap = nowUs() + 200;
    while (nowUs() < gap) await new Promise((r) => setImmediate(r));
  }
  parentPort!.postMessage({ p50: percentiles(samples).p50, runs: samples.length / (RUN_MS / 1000) });
}

/** Main-thread JS work units done per second while `w` runs. */
async function mainWork(w: Worker): Promise<{ result: { p50: number; runs: number }; workPerS: number }> {
  let units = 0;
  let done: { p50: number; runs: number } | null = null;
  w.on('message', (m: unknown) => {
    if (typeof m === 'object') done = m as { p50: number; runs: number };
  });
  const t0 = nowUs();
  while (!done) {
    let s = 0;
    for (let i = 0; i < 20_000; i++) s += Math.sqrt(i);
    if (s > 0) units++;
    await new Promise((r) => setImmediate(r));
  }
  return { result: done, workPerS: units / ((nowUs() - t0) / 1e6) };
}

async function main(): Promise<void> {
  const models = [
    { key: 'tiny', file: path.join(REPO_ROOT, 'test/fixtures/tiny_mlp/1/model.onnx'), inDim: 64 },
    { key: 'medium', file: path.join(REPO_ROOT, 'test/fixtures/medium_mlp/1/model.onnx'), inDim: 512 },
  ];
  console.log('model   batch intra spin   run p50 µs   runs/s   main-thread work/s');
  for (const m of models) {
    for (const batch of [1, 8]) {
      for (const intra of [1, 2]) {
        for (const spinning of [true, false]) {
          const c: Case = { file: m.file, inDim: m.inDim, batch, intra, spinning };
          const w = new Worker(__filename, { workerData: c });
          await new Promise((r) => w.once('message', r));
          const { result, workPerS } = await mainWork(w);
          await w.terminate();
          console.log(
            `${m.key.padEnd(8)}${String(batch).padStart(5)}${String(intra).padStart(6)} ${spinning ? 'on ' : 'off'}  ${result.p50.toFixed(0).padStart(10)}  ${result.runs.toFixed(0).padStart(7)}  ${workPerS.toFixed(0).padStart(12)}`,
          );
        }
      }
    }
  }
}

if (isMainThread) {
  main().catch((err: unknown) => {
    console.error(err);
    process.exit(1);
  });
} else {
  void workerMain(workerData as Case);
}

// Owns: a real model instance (worker thread + onnxruntime) with runs queued behind each other. Three callers
// keep it saturated: two runs sit in the shared slots (answers are read in whatever order their promises settle)
// and the third goes by postMessage, yet every caller gets exactly its own result; a run sent to a busy instance
// reports when the worker took it up, not when it was sent. Runs written before the worker's loop starts are served,
// collect() takes in an answer as soon as the worker has written it, and an answer whose Atomics.waitAsync report
// never comes is still taken in (the instance's watchdog), with no other request to prompt it.

import * as path from 'node:path';
import { ModelInstance } from '../../src/runtime/model-instance';
import { SharedChannel } from '../../src/runtime/shared-channel';
import { batchInput, type BatchInput } from '../../src/tensor/batch';
import type { Tensor } from '../../src/tensor/tensor';
import { MODELS_DIR } from '../support/server';

jest.setTimeout(120_000);

let instance: ModelInstance;

const simpleInstance = (): ModelInstance =>
  new ModelInstance({
    modelPath: path.join(MODELS_DIR, 'simple/1/model.onnx'),
    device: { kind: 'cpu' },
    allowCpuFallback: false,
    intraOpThreads: 1,
    interOpThreads: 1,
    allowSpinning: false,
    heapLimitMb: 0,
    label: "model 'simple' version 1 instance 0 (cpu)",
  });

beforeAll(async () => {
  instance = simpleInstance();
  await instance.load();
});

afterAll(() => instance.close());

const inputs = (v: number): BatchInput[] =>
  (
    [
      { name: 'INPUT0', datatype: 'INT32', shape: [1, 16], data: new Int32Array(16).fill(v) },
      { name: 'INPUT1', datatype: 'INT32', shape: [1, 16], data: new Int32Array(16).map((_, i) => i) },
    ] satisfies Tensor[]
  ).map((t) => batchInput([t]));

test('saturated by three callers, every run answers its own caller', async () => {
  let next = 0;
  const wrong: string[] = [];
  let maxInFlight = 0;
  let waitedBehind = 0;
  const caller = async (): Promise<void> => {
    while (next < 3000) {
      const v = next++;
      const running = instance.run(inputs(v), ['OUTPUT0', 'OUTPUT1']);
      maxInFlight = Math.max(maxInFlight, instance.inFlight);
      const { outputs, timings } = await running;
      const sum = Array.from(outputs[0].data as Int32Array);
      const diff = Array.from(outputs[1].data as Int32Array);
      const want = Array.from({ length: 16 }, (_, i) => v + i);
      if (sum.join() !== want.join() || diff.join() !== want.map((x, i) => x - 2 * i).join()) wrong.push(`run ${v}: ${sum.join()}`);
      expect(timings.sentNs).toBeLessThanOrEqual(timings.inferStartNs);
      if (timings.sentNs >= timings.receivedNs) waitedBehind++;
    }
  };
  await Promise.all([caller(), caller(), caller()]);
  expect(wrong).toEqual([]);
  expect(maxInFlight).toBe(3);
  expect(waitedBehind).toBeGreaterThan(0);
  expect(instance.inFlight).toBe(0);
});

test('runs already waiting in the slots when the worker starts serving them are answered', async () => {
  const early = simpleInstance();
  try {
    const loaded = early.load();
    const runs = [early.run(inputs(5), ['OUTPUT0']), early.run(inputs(6), ['OUTPUT0'])];
    await loaded;
    const answers = await Promise.all(runs);
    expect(answers.map((a) => (a.outputs[0].data as Int32Array)[0])).toEqual([5, 6]);
  } finally {
    await early.close();
  }
});

test('collect() takes in a finished run at once, without waiting for the event loop to report it', async () => {
  const running = instance.run(inputs(7), ['OUTPUT0']);
  // Never yields: only collect() can see the answer the worker writes meanwhile.
  const deadline = Date.now() + 20_000;
  while (instance.inFlight > 0 && Date.now() < deadline) instance.collect();
  expect(instance.inFlight).toBe(0);
  expect(((await running).outputs[0].data as Int32Array)[0]).toBe(7);
});

test('an answer whose waitAsync report is lost is still taken in, with no other request to prompt it', async () => {
  const lost = jest.spyOn(SharedChannel.prototype, 'responded').mockReturnValue(new Promise<boolean>(() => undefined));
  try {
    let timer: NodeJS.Timeout | undefined;
    const answer = await Promise.race([
      instance.run(inputs(9), ['OUTPUT0']),
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error('the run was never answered')), 10_000);
      }),
    ]).finally(() => clearTimeout(timer));
    expect((answer.outputs[0].data as Int32Array)[0]).toBe(9);
    expect(lost).toHaveBeenCalled();
    expect(instance.inFlight).toBe(0);
  } finally {
    lost.mockRestore();
  }
});

// Test doubles for unit tests of the scheduler's logic (not for anything served): a fake clock driven by the
// test, and an instance pool whose instances hold each run until the test finishes it, answering with the
// inputs copied to the requested outputs (an identity model) so tests can check which rows reached whom; the
// runs' batch inputs are joined with concatBatch.

import { EventEmitter } from 'node:events';
import type { RunResult } from '../../src/runtime/model-instance';
import type { Clock } from '../../src/scheduler/clock';
import type { ExecutionSlot, SlotPool } from '../../src/scheduler/model-scheduler';
import { elementCount, type NumericData, type Tensor } from '../../src/tensor/tensor';
import { batchInput, type BatchInput } from '../../src/tensor/batch';

/**
 * Joins same-named tensors of several requests along dim 0 into one fresh tensor (a lone tensor is returned as is):
 * what the fake instances compute on. The server never joins a batch by itself; the copy to the worker does.
 */
export function concatBatch(parts: readonly Tensor[]): Tensor {
  const { shape } = batchInput(parts);
  const first = parts[0];
  if (parts.length === 1) return first;
  if (first.datatype === 'BYTES') {
    const data: Uint8Array[] = [];
    for (const p of parts) for (const e of p.data as Uint8Array[]) data.push(e);
    return { name: first.name, datatype: first.datatype, shape, data };
  }
  const src = first.data as NumericData;
  const Ctor = src.constructor as new (length: number) => NumericData;
  const data = new Ctor(elementCount(shape));
  let at = 0;
  for (const p of parts) {
    const d = p.data as NumericData;
    (data as unknown as { set(a: ArrayLike<unknown>, o: number): void }).set(d, at);
    at += d.length;
  }
  return { name: first.name, datatype: first.datatype, shape, data };
}

export class FakeClock implements Clock {
  now = 1_000_000;
  private timers: Array<{ at: number; fn: () => void; live: boolean }> = [];
  /** While a test holds the event-loop turn (holdTurn), deferred calls wait here; otherwise they run at once. */
  private deferred: Array<() => void> | null = null;

  defer(fn: () => void): void {
    if (this.deferred) this.deferred.push(fn);
    else fn();
  }

  /** Starts an event-loop turn that lasts until `endTurn()`: work deferred meanwhile runs then, in order. */
  holdTurn(): void {
    this.deferred = [];
  }

  endTurn(): void {
    const due = this.deferred ?? [];
    this.deferred = null;
    for (const fn of due) fn();
  }

  nowNs(): number {
    return this.now;
  }

  setTimer(atNs: number, fn: () => void): () => void {
    const t = { at: atNs, fn, live: true };
    this.timers.push(t);
    return () => {
      t.live = false;
    };
  }

  /** Moves time forward by `ns`, firing due timers in order. */
  advance(ns: number): void {
    const end = this.now + ns;
    for (;;) {
      const due = this.timers.filter((t) => t.live && t.at <= end).sort((a, b) => a.at - b.at)[0];
      if (!due) break;
      due.live = false;
      this.now = Math.max(this.now, due.at);
      due.fn();
    }
    this.timers = this.timers.filter((t) => t.live);
    this.now = end;
  }

  get liveTimers(): number {
    return this.timers.filter((t) => t.live).length;
  }
}

export interface HeldRun {
  /** Id of the slot running it. */
  slot: number;
  inputs: readonly Tensor[];
  outputs: readonly string[];
  /** Answers with each requested output equal to the input of the same position (INPUTn → OUTPUTn). */
  finish(): void;
  fail(err: Error): void;
}

export class FakeSlot implements ExecutionSlot {
  /** Runs started on this slot and not finished. */
  inFlight = 0;

  constructor(
    readonly id: number,
    private readonly pool: FakePool,
  ) {}

  run(batch: readonly BatchInput[], outputs: readonly string[]): Promise<RunResult> {
    const inputs = batch.map((b) => concatBatch(b.parts));
    this.inFlight++;
    const done = <T>(settle: (v: T) => void) => (v: T): void => {
      this.inFlight--;
      settle(v);
    };
    return new Promise((resolve, reject) => {
      this.pool.held.push({
        inputs,
        outputs,
        slot: this.id,
        finish: () =>
          done(resolve)({
            outputs: outputs.map((name) => {
              const src = inputs.find((t) => t.name === name.replace('OUTPUT', 'INPUT')) as Tensor;
              return { ...src, name };
            }),
            timings: { sentNs: 1, receivedNs: 2, inferStartNs: 3, inferEndNs: 4, returnedNs: 5 },
          }),
        fail: done(reject),
      });
    });
  }
}

export class FakePool extends EventEmitter implements SlotPool<FakeSlot> {
  readonly held: HeldRun[] = [];
  private readonly slots: FakeSlot[];
  private readonly idle: FakeSlot[];

  /** `depth`: runs a slot takes at once (InstancePool's instances take 2; 1 turns queueing behind a run off). */
  constructor(
    size: number,
    private readonly depth = 1,
  ) {
    super();
    this.slots = Array.from({ length: size }, (_, i) => new FakeSlot(i, this));
    this.idle = [...this.slots];
  }

  acquire(): FakeSlot | null {
    return this.idle.shift() ?? null;
  }

  /** Times the scheduler asked for ready results (fake runs finish only when the test says so). */
  collects = 0;

  collect(): void {
    this.collects++;
  }

  acquireQueued(): FakeSlot | null {
    return this.slots.find((s) => s.inFlight > 0 && s.inFlight < this.depth) ?? null;
  }

  release(slot: FakeSlot): void {
    if (slot.inFlight === 0) this.idle.push(slot);
    this.emit('available');
  }

  /** Finishes the oldest held run and lets its promise callbacks run. */
  async finishNext(): Promise<HeldRun> {
    const run = this.held.shift();
    if (!run) throw new Error('no run is in flight');
    run.finish();
    await flush();
    return run;
  }
}

/** Lets pending promise callbacks run. */
export const flush = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

// Per model-version scheduler between the data plane and the instance pool. Accepted requests wait in a
// RequestQueue (priority levels, max_queue_size, queue timeouts); whenever an instance is free, formBatch picks
// what it runs next: one request, or with dynamic_batching several compatible ones concatenated along the batch
// dim and split back so each caller gets exactly its rows. A batching model forms batches once per event-loop turn,
// so requests read together run together; an execution may also wait behind a busy instance's current one (see
// queueBehind), so a busy worker never idles between runs. A caller that goes away (Cancellation: cancel or
// deadline) leaves the queue, or, if its request is already running, has its rows dropped while the rest of the
// batch is answered. Bytes of accepted requests count against the server-wide InflightBytes budget until they
// finish. Records queue and compute durations in the model's statistics and reports to each job's observer.

import type { DynamicBatching, QueuePolicy } from '../config/model-config';
import { DEFAULT_QUEUE_POLICY } from '../config/model-config';
import { InferError } from '../errors';
import type { RunResult } from '../runtime/model-instance';
import type { ModelStats } from '../telemetry/model-stats';
import { batchInput, splitBatch, type BatchInput } from '../tensor/batch';
import type { Tensor } from '../tensor/tensor';
import { formBatch, fullBatchRows, type BatchPolicy } from './batch-former';
import type { Cancellation } from './cancellation';
import { systemClock, type Clock } from './clock';
import type { ExecutionObserver } from './execution-observer';
import { InflightBytes, requestBytes } from './inflight-bytes';
import { RequestQueue, type QueuedItem } from './request-queue';

export interface SchedulerJob {
  inputs: Tensor[];
  /** Output names to compute, in the order the caller wants them back. */
  outputs: readonly string[];
  /** Rows this request contributes (its batch dim; 1 for a model without batching). */
  rows: number;
  /** Triton's `priority` request parameter (0: the model's default level). */
  priority?: number;
  /** Triton's `timeout` request parameter in µs (0: the queue policy's default). */
  timeoutUs?: number;
  signal?: Cancellation;
  /** Telemetry's view of this request (see execution-observer.ts). */
  observer?: ExecutionObserver;
}

/** What the scheduler needs of an instance: it computes one execution at a time and may hold the next one. */
export interface ExecutionSlot {
  /** Runs one execution; each input joins the same-named tensors of the requests it runs. */
  run(inputs: readonly BatchInput[], outputs: readonly string[]): Promise<RunResult>;
}

/** What the scheduler needs of the instance pool (InstancePool). */
export interface SlotPool<S extends ExecutionSlot> {
  /** An instance with nothing in flight. */
  acquire(): S | null;
  /** A busy instance with room for one execution queued behind its current one. */
  acquireQueued(): S | null;
  /** One execution on `slot` finished. */
  release(slot: S): void;
  /** Takes in results that are ready but not yet reported (they then finish as usual). */
  collect(): void;
  on(event: 'available', listener: () => void): unknown;
}

export interface SchedulerOptions {
  /** The model's max_batch_size (0: no batch dim). */
  maxBatchSize: number;
  /** The model's dynamic_batching, or null: one request per execution, one unbounded FIFO. */
  dynamicBatching: DynamicBatching | null;
  /** Server-wide in-flight request bytes budget; none: unlimited. */
  inflight?: InflightBytes;
  clock?: Clock;
}

interface Entry extends QueuedItem {
  job: SchedulerJob;
  bytes: number;
  state: 'queued' | 'running' | 'done';
  resolve: (outputs: Tensor[]) => void;
  reject: (err: Error) => void;
  onAbort?: () => void;
  /** The caller's answer once there is one (the request answered, failed or abandoned on abort). */
  outcome?: Outcome;
  /** The caller's promise is settled; with preserve_ordering that waits for every earlier request's answer. */
  delivered: boolean;
}

type Outcome = { outputs: Tensor[] } | { error: Error };

/**
 * A promise and its settle functions. Its one closure per call holds two assignments and nothing to inline, so
 * V8 optimizes it cheaply each time it drops the optimized code of closures that no longer exist (it does so on
 * major GCs); the request's own work is in methods, whose optimized code lives as long as the scheduler.
 */
function pendingResult(): { promise: Promise<Tensor[]>; resolve: (outputs: Tensor[]) => void; reject: (err: Error) => void } {
  let resolve!: (outputs: Tensor[]) => void;
  let reject!: (err: Error) => void;
  const promise = new Promise<Tensor[]>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

export function abortError(signal: Cancellation | undefined, label: string): InferError {
  const reason: unknown = signal?.reason;
  if (reason instanceof InferError) return reason;
  return new InferError('CANCELLED', `${label}: request cancelled by the client`);
}

/** Settles the caller's promise with its outcome, once. */
function deliver(entry: Entry): void {
  if (entry.delivered || !entry.outcome) return;
  entry.delivered = true;
  if ('outputs' in entry.outcome) entry.resolve(entry.outcome.outputs);
  else entry.reject(entry.outcome.error);
}

const rowsOf = (entries: readonly Entry[]): number => entries.reduce((n, e) => n + e.rows, 0);

/** One execution handed to an instance. */
interface Execution<S> {
  slot: S;
  entries: Entry[];
  rows: number;
  /** When the entries left the queue; an execution queued behind another on its instance starts later. */
  dispatchedNs: number;
}

const inputKey = (t: Tensor): string => `${t.name}:${t.datatype}:${t.shape.slice(1).join('x')}`;
const sortedList = (list: readonly string[]): string => (list.length === 1 ? list[0] : [...list].sort().join(','));

/** Batch key: input names, datatypes and non-batch dims, plus the requested output set (both in sorted order). */
function batchKey(job: SchedulerJob): string {
  return `${sortedList(job.inputs.map(inputKey))}|${sortedList(job.outputs)}`;
}

const ROW_GAP_SMOOTHING = 0.2;

export class ModelScheduler<S extends ExecutionSlot = ExecutionSlot> {
  private readonly queue: RequestQueue<Entry>;
  private readonly batch: BatchPolicy;
  private readonly clock: Clock;
  private readonly inflight: InflightBytes;
  private readonly db: DynamicBatching | null;
  private readonly ordered: Entry[] | null;
  private running = 0;
  private idleWaiters: Array<() => void> = [];
  private timerAtNs = Infinity;
  private cancelTimer: (() => void) | null = null;
  private pumpDeferred = false;
  /** Whether an execution may wait behind a busy instance's current one (see queueBehind). */
  private readonly queuesBehindBusy: boolean;
  /** Rows of the execution(s) in flight on each busy instance. */
  private readonly runningRows = new Map<S, number>();
  /** Set by fail(): every later request is refused with it. */
  private failure: InferError | null = null;
  private lastArrivalNs = 0;
  /** Smoothed ns between arriving rows (Infinity until two requests have arrived). */
  private rowGapNs = Infinity;

  constructor(
    private readonly pool: SlotPool<S>,
    private readonly stats: ModelStats,
    private readonly label: string,
    options: SchedulerOptions = { maxBatchSize: 0, dynamicBatching: null },
  ) {
    this.clock = options.clock ?? systemClock;
    this.inflight = options.inflight ?? new InflightBytes(0);
    const db = options.dynamicBatching;
    this.db = db;
    this.batch = {
      maxBatchSize: db ? options.maxBatchSize : 0,
      preferredBatchSizes: db ? [...db.preferredBatchSize].sort((a, b) => a - b) : [],
      maxQueueDelayNs: db ? db.maxQueueDelayMicroseconds * 1000 : 0,
    };
    const levels = db && db.priorityLevels > 0 ? Array.from({ length: db.priorityLevels }, (_, i) => i + 1) : [0];
    const policies = [db?.defaultQueuePolicy, ...(db ? db.priorityQueuePolicy.values() : [])];
    const allowsTimeouts = policies.some((p) => p && (p.defaultTimeoutMicroseconds > 0 || p.allowTimeoutOverride));
    this.queue = new RequestQueue<Entry>(levels, (l) => this.policy(l), label, allowsTimeouts);
    // Queued behind a busy instance, a request is out of reach of priorities and queue timeouts.
    this.queuesBehindBusy = !(db && (db.priorityLevels > 0 || allowsTimeouts));
    this.ordered = db?.preserveOrdering ? [] : null;
    pool.on('available', () => this.pump());
  }

  /** Requests accepted and not yet finished (queued + running). */
  get pending(): number {
    return this.queue.length + this.running;
  }

  submit(job: SchedulerJob): Promise<Tensor[]> {
    if (this.failure) return Promise.reject(this.failure);
    if (job.signal?.aborted) return Promise.reject(abortError(job.signal, this.label));
    const { promise, resolve, reject } = pendingResult();
    try {
      this.enqueue(job, resolve, reject);
    } catch (err) {
      reject(err as Error);
    }
    return promise;
  }

  private enqueue(job: SchedulerJob, resolve: Entry['resolve'], reject: Entry['reject']): void {
    const now = this.clock.nowNs();
    const level = this.level(job.priority ?? 0);
    const timeoutUs = this.timeoutUs(level, job.timeoutUs ?? 0);
    const entry: Entry = {
      job,
      rows: job.rows,
      batchKey: this.batch.maxBatchSize > 1 ? batchKey(job) : '',
      enqueuedNs: now,
      level,
      timeoutAtNs: timeoutUs > 0 ? now + timeoutUs * 1000 : 0,
      bytes: requestBytes(job.inputs),
      state: 'queued',
      resolve,
      reject,
      delivered: false,
    };
    // A refusal (queue full, in-flight bytes over the limit) throws; submit turns it into the caller's rejection.
    this.queue.push(entry);
    try {
      this.inflight.acquire(entry.bytes, this.label);
    } catch (err) {
      this.queue.remove(entry);
      throw err;
    }
    this.noteArrival(now, job.rows);
    this.ordered?.push(entry);
    if (job.signal) {
      entry.onAbort = () => this.abandon(entry);
      job.signal.onAbort(entry.onAbort);
    }
    // A batching model forms its next batch once this turn's requests are all queued (see pumpSoon).
    if (this.batch.maxBatchSize > 1) this.pumpSoon();
    else this.pump();
  }

  /**
   * The version can no longer serve (its instances gave up): every queued request and every later one is
   * refused with `err`. Running requests finish or fail with their instance.
   */
  fail(err: InferError): void {
    this.failure = err;
    const queued = [...this.queue.ordered()];
    for (const entry of queued) {
      this.queue.remove(entry);
      this.finishEntry(entry);
      this.answer(entry, { error: err }, true);
    }
    this.settle();
  }

  /** Resolves once nothing is queued or running (used before an instance pool is closed). */
  drain(): Promise<void> {
    if (this.pending === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  private policy(level: number): QueuePolicy {
    if (!this.db) return DEFAULT_QUEUE_POLICY;
    return this.db.priorityQueuePolicy.get(level) ?? this.db.defaultQueuePolicy;
  }

  /** Triton: priority 0 or above priority_levels means the default level. */
  private level(priority: number): number {
    if (!this.db || this.db.priorityLevels === 0) return 0;
    return priority >= 1 && priority <= this.db.priorityLevels ? priority : this.db.defaultPriorityLevel;
  }

  /** The queue timeout: the policy's default, or the request's own if the policy allows and it is shorter. */
  private timeoutUs(level: number, requested: number): number {
    const p = this.policy(level);
    const base = p.defaultTimeoutMicroseconds;
    if (p.allowTimeoutOverride && requested > 0 && (base === 0 || requested < base)) return requested;
    return base;
  }

  private noteArrival(now: number, rows: number): void {
    if (this.lastArrivalNs > 0) {
      const gap = Math.max(0, now - this.lastArrivalNs) / Math.max(1, rows);
      this.rowGapNs = Number.isFinite(this.rowGapNs) ? this.rowGapNs + ROW_GAP_SMOOTHING * (gap - this.rowGapNs) : gap;
    }
    this.lastArrivalNs = now;
  }

  /** The caller went away: leave the queue, or drop the answer of a running request. */
  private abandon(entry: Entry): void {
    if (entry.state === 'queued') {
      this.queue.remove(entry);
      this.finishEntry(entry);
      this.settle();
    }
    this.answer(entry, { error: abortError(entry.job.signal, this.label) }, true);
  }

  /**
   * Pumps once the current event-loop turn has read every request that arrived with this one. Requests that
   * reach the server together (one socket read can carry dozens) then share one execution even when an instance
   * is idle, instead of the first running alone: waiting costs microseconds, never a timer.
   */
  private pumpSoon(): void {
    if (this.pumpDeferred) return;
    this.pumpDeferred = true;
    this.clock.defer(this.deferredPump);
  }

  /** pumpSoon's callback, one function for the scheduler's life. */
  private readonly deferredPump = (): void => {
    this.pumpDeferred = false;
    this.pool.collect();
    this.pump();
  };

  private pump(): void {
    const now = this.clock.nowNs();
    const { rejected, nextTimeoutNs } = this.queue.expire(now);
    for (const entry of rejected) {
      this.finishEntry(entry);
      const waited = Math.round((now - entry.enqueuedNs) / 1000);
      const err = new InferError('DEADLINE_EXCEEDED', `${this.label}: request timed out in the queue after ${waited} µs (queue policy timeout)`);
      this.answer(entry, { error: err }, true);
    }
    let wakeAt = nextTimeoutNs;
    while (this.queue.length > 0) {
      const decision = formBatch(this.queue.ordered(), this.batch, now, this.rowGapNs);
      if (decision.kind === 'wait') {
        wakeAt = Math.min(wakeAt, decision.untilNs);
        break;
      }
      if (decision.kind === 'empty') break;
      const rows = rowsOf(decision.items);
      const slot = this.pool.acquire() ?? this.queueBehind(rows);
      if (!slot) break;
      for (const entry of decision.items) this.queue.remove(entry);
      this.dispatch(slot, decision.items, rows);
    }
    if (rejected.length > 0) this.settle();
    this.arm(wakeAt);
  }

  /**
   * A busy instance on which an execution of `rows` may wait behind the one it is computing, so its worker goes straight
   * on to them, or null. Only an execution at least as large as the one it would follow (or full) goes there: a
   * smaller one waits for an idle instance and keeps growing meanwhile, so batches never shrink by queueing.
   * Models with priority levels or queue timeouts keep their requests in the queue, where those apply.
   */
  private queueBehind(rows: number): S | null {
    if (!this.queuesBehindBusy) return null;
    const slot = this.pool.acquireQueued();
    if (!slot || this.batch.maxBatchSize <= 1) return slot;
    return rows >= Math.min(fullBatchRows(this.batch), this.runningRows.get(slot) ?? 0) ? slot : null;
  }

  private arm(atNs: number): void {
    if (atNs === this.timerAtNs) return;
    this.cancelTimer?.();
    this.cancelTimer = null;
    this.timerAtNs = atNs;
    if (!Number.isFinite(atNs)) return;
    this.cancelTimer = this.clock.setTimer(atNs, () => {
      this.cancelTimer = null;
      this.timerAtNs = Infinity;
      this.pump();
    });
  }

  private dispatch(slot: S, entries: Entry[], rows: number): void {
    const exec: Execution<S> = { slot, entries, rows, dispatchedNs: this.clock.nowNs() };
    for (const e of entries) {
      e.state = 'running';
      e.job.observer?.dequeued(exec.dispatchedNs);
    }
    this.running += entries.length;
    this.runningRows.set(slot, (this.runningRows.get(slot) ?? 0) + rows);
    let inputs: readonly BatchInput[];
    let outputs: readonly string[];
    try {
      inputs = this.batchInputs(entries);
      outputs = entries.length === 1 ? entries[0].job.outputs : [...entries[0].job.outputs].sort();
    } catch (err) {
      this.finish(exec, null, err as Error);
      return;
    }
    void this.execute(exec, inputs, outputs);
  }

  private async execute(exec: Execution<S>, inputs: readonly BatchInput[], outputs: readonly string[]): Promise<void> {
    let result: RunResult;
    try {
      result = await exec.slot.run(inputs, outputs);
    } catch (err) {
      this.finish(exec, null, err as Error);
      return;
    }
    this.finish(exec, result, null);
  }

  /** The execution's inputs: each input of the first request with the same-named ones of the others (the batch key makes them agree). */
  private batchInputs(entries: Entry[]): BatchInput[] {
    return entries[0].job.inputs.map((t) => batchInput(entries.map((e) => e.job.inputs.find((x) => x.name === t.name) as Tensor)));
  }

  private finish(exec: Execution<S>, result: RunResult | null, err: Error | null): void {
    const { slot, entries, rows, dispatchedNs } = exec;
    this.running -= entries.length;
    const left = (this.runningRows.get(slot) ?? 0) - rows;
    if (left > 0) this.runningRows.set(slot, left);
    else this.runningRows.delete(slot);
    const startedNs = result ? Math.max(dispatchedNs, result.timings.sentNs) : dispatchedNs;
    for (const e of entries) {
      this.stats.recordQueue(startedNs - e.enqueuedNs);
      this.finishEntry(e);
    }
    if (result) {
      const t = result.timings;
      // A loop, not flatMap with a closure made per execution, which V8 would keep optimizing again under load.
      const observers: ExecutionObserver[] = [];
      for (const e of entries) if (e.job.observer) observers.push(e.job.observer);
      const record = {
        batchSize: rows,
        requests: observers,
        startNs: t.sentNs,
        inferStartNs: t.inferStartNs,
        inferEndNs: t.inferEndNs,
        endNs: t.returnedNs,
      };
      for (const o of observers) o.executed(record);
      this.stats.recordExecution({
        requests: entries.length,
        batchSize: rows,
        computeInputNs: t.inferStartNs - t.sentNs,
        computeInferNs: t.inferEndNs - t.inferStartNs,
        computeOutputNs: t.returnedNs - t.inferEndNs,
      });
      this.answerBatch(entries, result.outputs);
    } else {
      const failure = err as Error;
      for (const e of entries) this.answer(e, { error: failure }, false);
    }
    this.settle();
    this.pool.release(slot);
  }

  private answerBatch(entries: Entry[], outputs: Tensor[]): void {
    if (entries.length === 1) {
      this.answer(entries[0], { outputs }, false);
      return;
    }
    let parts: Map<string, Tensor[]>;
    try {
      const rows = entries.map((e) => e.rows);
      parts = new Map(outputs.map((o) => [o.name, splitBatch(o, rows)]));
    } catch (err) {
      for (const e of entries) this.answer(e, { error: err as Error }, false);
      return;
    }
    for (let i = 0; i < entries.length; i++) {
      const mine: Tensor[] = [];
      for (const name of entries[i].job.outputs) mine.push((parts.get(name) as Tensor[])[i]);
      this.answer(entries[i], { outputs: mine }, false);
    }
  }

  /** Releases what an entry holds once it no longer runs or waits. */
  private finishEntry(entry: Entry): void {
    if (entry.state === 'done') return;
    entry.state = 'done';
    this.inflight.release(entry.bytes);
    if (entry.onAbort) entry.job.signal?.offAbort(entry.onAbort);
  }

  /**
   * Settles the caller's promise once. With preserve_ordering, answers wait for every earlier request's
   * (`immediate`: a caller that went away or timed out is told at once; its place in the order is freed).
   */
  private answer(entry: Entry, outcome: Outcome, immediate: boolean): void {
    if (entry.outcome) return;
    entry.outcome = outcome;
    if (!this.ordered || immediate) deliver(entry);
    if (!this.ordered) return;
    while (this.ordered.length > 0 && this.ordered[0].outcome) deliver(this.ordered.shift() as Entry);
  }

  private settle(): void {
    if (this.pending > 0) return;
    const waiters = this.idleWaiters;
    this.idleWaiters = [];
    for (const w of waiters) w();
  }
}

// Owns: ModelScheduler's behaviour on a fake clock and a fake instance pool: batches form and split back to
// their callers, priorities, queue timeouts, max_queue_size and in-flight-bytes rejection, cancel and deadline
// while queued and while running, preserve_ordering, and the observer contract.

import { DEFAULT_QUEUE_POLICY, type DynamicBatching, type QueuePolicy } from '../../src/config/model-config';
import { InferError } from '../../src/errors';
import type { ExecutionObserver, ExecutionRecord } from '../../src/scheduler/execution-observer';
import { Cancellation } from '../../src/scheduler/cancellation';
import { InflightBytes } from '../../src/scheduler/inflight-bytes';
import { ModelScheduler, type SchedulerJob } from '../../src/scheduler/model-scheduler';
import { ModelStats } from '../../src/telemetry/model-stats';
import type { Tensor } from '../../src/tensor/tensor';
import { FakeClock, FakePool, flush } from '../support/fake-scheduling';

const db = (over: Partial<DynamicBatching> = {}): DynamicBatching => ({
  preferredBatchSize: [],
  maxQueueDelayMicroseconds: 0,
  preserveOrdering: false,
  priorityLevels: 0,
  defaultPriorityLevel: 0,
  defaultQueuePolicy: DEFAULT_QUEUE_POLICY,
  priorityQueuePolicy: new Map(),
  ...over,
});

const policy = (p: Partial<QueuePolicy>): QueuePolicy => ({ ...DEFAULT_QUEUE_POLICY, ...p });

/** INPUT0 [rows, 2] INT32 filled with `value`. */
function job(value: number, rows = 1, extra: Partial<SchedulerJob> = {}): SchedulerJob {
  return {
    inputs: [{ name: 'INPUT0', datatype: 'INT32', shape: [rows, 2], data: new Int32Array(rows * 2).fill(value) }],
    outputs: ['OUTPUT0'],
    rows,
    ...extra,
  };
}

const values = (outputs: Tensor[]): number[] => Array.from(outputs[0].data as Int32Array);

interface Setup {
  clock: FakeClock;
  pool: FakePool;
  stats: ModelStats;
  scheduler: ModelScheduler;
}

function setup(dynamicBatching: DynamicBatching | null, instances = 1, inflight?: InflightBytes, depth = 1): Setup {
  const clock = new FakeClock();
  const pool = new FakePool(instances, depth);
  const stats = new ModelStats('m', 1);
  const scheduler = new ModelScheduler(pool, stats, "model 'm' version 1", { maxBatchSize: 8, dynamicBatching, clock, inflight });
  return { clock, pool, stats, scheduler };
}

/** Records the outcome of a promise without letting it reject unobserved. */
function outcome<T>(p: Promise<T>): { value?: T; error?: InferError; done: () => boolean } {
  const o: { value?: T; error?: InferError; settled: boolean } = { settled: false };
  p.then(
    (v) => Object.assign(o, { value: v, settled: true }),
    (e: InferError) => Object.assign(o, { error: e, settled: true }),
  );
  return Object.assign(o, { done: () => o.settled });
}

describe('ModelScheduler batching', () => {
  it('runs requests that queued behind a busy instance as one batch and gives each caller its own rows', async () => {
    const { pool, stats, scheduler } = setup(db());
    const first = outcome(scheduler.submit(job(1)));
    const queued = [outcome(scheduler.submit(job(2, 2))), outcome(scheduler.submit(job(3))), outcome(scheduler.submit(job(4, 3)))];
    expect(pool.held).toHaveLength(1);
    await pool.finishNext();
    expect(values(first.value as Tensor[])).toEqual([1, 1]);
    expect(pool.held).toHaveLength(1);
    expect(pool.held[0].inputs[0].shape).toEqual([6, 2]);
    await pool.finishNext();
    expect(queued.map((o) => values(o.value as Tensor[]))).toEqual([[2, 2, 2, 2], [3, 3], [4, 4, 4, 4, 4, 4]]);
    expect(stats.executionCount).toBe(2);
    expect(stats.inferenceCount).toBe(7);
    expect([...stats.batches.keys()].sort()).toEqual([1, 6]);
  });

  it('requests that arrive in one event-loop turn share an execution even though the instance was idle', async () => {
    const { clock, pool, stats, scheduler } = setup(db());
    clock.holdTurn();
    const callers = [1, 2, 3].map((v) => outcome(scheduler.submit(job(v))));
    expect(pool.held).toHaveLength(0);
    clock.endTurn();
    expect(pool.collects).toBe(1); // ready results are taken in first, so a finished instance is free for this batch
    expect(pool.held).toHaveLength(1);
    expect(pool.held[0].inputs[0].shape).toEqual([3, 2]);
    await pool.finishNext();
    expect(callers.map((o) => values(o.value as Tensor[]))).toEqual([[1, 1], [2, 2], [3, 3]]);
    expect(stats.executionCount).toBe(1);
  });

  it('without dynamic_batching a request goes to an idle instance within its own turn', () => {
    const { clock, pool, scheduler } = setup(null);
    clock.holdTurn();
    scheduler.submit(job(1)).catch(() => undefined);
    expect(pool.held).toHaveLength(1);
    clock.endTurn();
  });

  it('queues a batch behind a busy instance once it is as large as the running one; a smaller one keeps growing', async () => {
    const { clock, pool, scheduler } = setup(db(), 1, undefined, 2);
    const first = outcome(scheduler.submit(job(1, 4)));
    expect(pool.held.map((r) => r.inputs[0].shape[0])).toEqual([4]);
    clock.holdTurn();
    const small = outcome(scheduler.submit(job(2, 3)));
    clock.endTurn();
    expect(pool.held).toHaveLength(1); // 3 rows would follow 4: it waits
    clock.holdTurn();
    const more = outcome(scheduler.submit(job(3, 2)));
    clock.endTurn();
    expect(pool.held.map((r) => [r.slot, r.inputs[0].shape[0]])).toEqual([[0, 4], [0, 5]]);
    await pool.finishNext();
    // The instance computes the 5-row batch; a full one (8 rows) may queue behind it at once.
    const full = outcome(scheduler.submit(job(4, 8)));
    expect(pool.held.map((r) => r.inputs[0].shape[0])).toEqual([5, 8]);
    await pool.finishNext();
    await pool.finishNext();
    expect([first, small, more, full].map((o) => values(o.value as Tensor[]).length)).toEqual([8, 6, 4, 16]);
  });

  it('keeps requests in the queue (not behind a busy instance) when priorities or queue timeouts could apply', async () => {
    for (const config of [db({ priorityLevels: 2, defaultPriorityLevel: 1 }), db({ defaultQueuePolicy: policy({ defaultTimeoutMicroseconds: 1000 }) })]) {
      const { pool, scheduler } = setup(config, 1, undefined, 2);
      scheduler.submit(job(1, 8)).catch(() => undefined);
      scheduler.submit(job(2, 8)).catch(() => undefined);
      expect(pool.held).toHaveLength(1);
      expect(scheduler.pending).toBe(2);
    }
  });

  it('without dynamic_batching the next request waits behind the running one on its instance', async () => {
    const { pool, scheduler } = setup(null, 1, undefined, 2);
    const a = outcome(scheduler.submit(job(1)));
    const b = outcome(scheduler.submit(job(2)));
    outcome(scheduler.submit(job(3)));
    expect(pool.held.map((r) => r.slot)).toEqual([0, 0]);
    await pool.finishNext();
    expect(values(a.value as Tensor[])).toEqual([1, 1]);
    expect(pool.held).toHaveLength(2); // the third took the room the first left
    await pool.finishNext();
    expect(values(b.value as Tensor[])).toEqual([2, 2]);
  });

  it('never batches without dynamic_batching', async () => {
    const { pool, scheduler } = setup(null);
    scheduler.submit(job(1)).catch(() => undefined);
    scheduler.submit(job(2)).catch(() => undefined);
    scheduler.submit(job(3)).catch(() => undefined);
    await pool.finishNext();
    expect(pool.held[0].inputs[0].shape).toEqual([1, 2]);
    await pool.finishNext();
    await pool.finishNext();
    expect(scheduler.pending).toBe(0);
  });

  it('keeps requests with different non-batch dims in separate executions', async () => {
    const { pool, scheduler } = setup(db());
    scheduler.submit(job(1)).catch(() => undefined);
    const wide: SchedulerJob = { ...job(2), inputs: [{ name: 'INPUT0', datatype: 'INT32', shape: [1, 3], data: new Int32Array(3).fill(2) }] };
    const a = outcome(scheduler.submit(wide));
    const b = outcome(scheduler.submit(job(3)));
    await pool.finishNext();
    expect(pool.held[0].inputs[0].shape).toEqual([1, 3]);
    await pool.finishNext();
    expect(values(a.value as Tensor[])).toEqual([2, 2, 2]);
    await pool.finishNext();
    expect(values(b.value as Tensor[])).toEqual([3, 3]);
  });

  it('waits out max_queue_delay for a preferred size when arrivals are expected, and not longer', async () => {
    const { clock, pool, scheduler } = setup(db({ preferredBatchSize: [4], maxQueueDelayMicroseconds: 1000 }), 1);
    // Teach the scheduler the arrival rate (one row per 10 µs) while the instance is busy.
    const warm = [scheduler.submit(job(0))];
    for (let i = 0; i < 3; i++) {
      clock.advance(10_000);
      warm.push(scheduler.submit(job(0)));
    }
    await pool.finishNext();
    expect(pool.held).toHaveLength(0); // 3 rows queued, a 4th expected within the delay
    clock.advance(1_000_000);
    await pool.finishNext();
    await Promise.all(warm);
    clock.advance(10_000);
    const a = outcome(scheduler.submit(job(1)));
    expect(pool.held).toHaveLength(0); // waiting for 3 more rows, expected within the delay
    clock.advance(500_000);
    expect(pool.held).toHaveLength(0);
    clock.advance(500_000); // delay spent: run what is there
    expect(pool.held).toHaveLength(1);
    await pool.finishNext();
    expect(values(a.value as Tensor[])).toEqual([1, 1]);
  });

  it('serves higher priority levels first and maps out-of-range priorities to the default level', async () => {
    const { pool, scheduler } = setup(db({ priorityLevels: 3, defaultPriorityLevel: 2 }), 1);
    const order: number[] = [];
    const track = (v: number, priority: number): Promise<void> =>
      scheduler.submit(job(v, 8, { priority })).then(() => void order.push(v));
    const all = [track(0, 1), track(3, 3), track(2, 0), track(9, 99), track(1, 1)];
    for (let i = 0; i < 5; i++) await pool.finishNext();
    await Promise.all(all);
    expect(order).toEqual([0, 1, 2, 9, 3]);
  });

  it('preserve_ordering answers in arrival order even when a later batch finishes first', async () => {
    const { pool, scheduler } = setup(db({ preserveOrdering: true }), 2);
    const order: number[] = [];
    const a = scheduler.submit(job(1, 8)).then(() => void order.push(1));
    const b = scheduler.submit(job(2, 8)).then(() => void order.push(2));
    const [runA, runB] = pool.held.splice(0, 2);
    runB.finish();
    await flush();
    expect(order).toEqual([]);
    runA.finish();
    await Promise.all([a, b]);
    expect(order).toEqual([1, 2]);
  });
});

describe('ModelScheduler limits and timeouts', () => {
  it('rejects past max_queue_size with RESOURCE_EXHAUSTED naming the limit, at once', async () => {
    const { pool, scheduler } = setup(db({ defaultQueuePolicy: policy({ maxQueueSize: 2 }) }), 1);
    scheduler.submit(job(1)).catch(() => undefined); // running
    scheduler.submit(job(2)).catch(() => undefined);
    scheduler.submit(job(3)).catch(() => undefined);
    const err = await scheduler.submit(job(4)).catch((e: InferError) => e);
    expect(err).toBeInstanceOf(InferError);
    expect((err as InferError).code).toBe('RESOURCE_EXHAUSTED');
    expect((err as InferError).message).toBe("model 'm' version 1: the queue is full (max_queue_size 2)");
    expect(pool.held).toHaveLength(1);
    expect(scheduler.pending).toBe(3);
  });

  it('rejects past the in-flight bytes budget and frees the budget when requests finish', async () => {
    const inflight = new InflightBytes(20); // one request is 8 bytes
    const { pool, scheduler } = setup(db(), 1, inflight);
    const a = scheduler.submit(job(1));
    const b = scheduler.submit(job(2));
    const err = await scheduler.submit(job(3)).catch((e: InferError) => e);
    expect((err as InferError).code).toBe('RESOURCE_EXHAUSTED');
    expect((err as InferError).message).toMatch(/--max-inflight-bytes 20\) reached: 16 bytes in flight, this request needs 8/);
    await pool.finishNext();
    await pool.finishNext();
    await Promise.all([a, b]);
    expect(inflight.inUse).toBe(0);
  });

  it('times out a queued request with DEADLINE_EXCEEDED (REJECT) using the request timeout where allowed', async () => {
    const { clock, pool, scheduler } = setup(db({ defaultQueuePolicy: policy({ defaultTimeoutMicroseconds: 5000, allowTimeoutOverride: true }) }), 1);
    scheduler.submit(job(1, 8)).catch(() => undefined); // occupies the instance
    const short = outcome(scheduler.submit(job(2, 8, { timeoutUs: 100 })));
    const long = outcome(scheduler.submit(job(3, 8, { timeoutUs: 60_000 }))); // may not exceed the default
    clock.advance(200_000);
    await flush();
    expect(short.error?.code).toBe('DEADLINE_EXCEEDED');
    expect(short.error?.message).toMatch(/timed out in the queue after 100 µs/);
    expect(long.done()).toBe(false);
    clock.advance(5_000_000);
    await flush();
    expect(long.error?.code).toBe('DEADLINE_EXCEEDED');
    await pool.finishNext();
    expect(scheduler.pending).toBe(0);
  });

  it('moves a timed-out request behind the others with timeout_action DELAY', async () => {
    const { clock, pool, scheduler } = setup(
      db({ priorityLevels: 2, defaultPriorityLevel: 2, priorityQueuePolicy: new Map([[1, policy({ timeoutAction: 'DELAY', defaultTimeoutMicroseconds: 10 })]]) }),
      1,
    );
    const order: number[] = [];
    const track = (v: number, priority: number): Promise<void> => scheduler.submit(job(v, 8, { priority })).then(() => void order.push(v));
    const all = [track(0, 2), track(1, 1), track(2, 2)];
    clock.advance(20_000);
    for (let i = 0; i < 3; i++) await pool.finishNext();
    await Promise.all(all);
    expect(order).toEqual([0, 2, 1]);
  });
});

describe('ModelScheduler cancellation', () => {
  it('a cancelled queued request leaves the queue and never runs', async () => {
    const { pool, scheduler } = setup(db(), 1);
    scheduler.submit(job(1, 8)).catch(() => undefined);
    const controller = new Cancellation();
    const cancelled = outcome(scheduler.submit(job(2, 8, { signal: controller })));
    controller.abort(new InferError('CANCELLED', 'the client cancelled the request'));
    await flush();
    expect(cancelled.error?.code).toBe('CANCELLED');
    expect(scheduler.pending).toBe(1);
    await pool.finishNext();
    expect(pool.held).toHaveLength(0);
    expect(scheduler.pending).toBe(0);
  });

  it('a request whose deadline passes while it runs in a batch is answered DEADLINE_EXCEEDED; the others get their rows', async () => {
    const { pool, stats, scheduler } = setup(db(), 1);
    scheduler.submit(job(0, 1)).catch(() => undefined);
    const controller = new Cancellation();
    const a = outcome(scheduler.submit(job(1)));
    const b = outcome(scheduler.submit(job(2, 2, { signal: controller })));
    const c = outcome(scheduler.submit(job(3)));
    await pool.finishNext();
    expect(pool.held[0].inputs[0].shape).toEqual([4, 2]);
    controller.abort(new InferError('DEADLINE_EXCEEDED', 'the call deadline passed'));
    await flush();
    expect(b.error?.code).toBe('DEADLINE_EXCEEDED');
    expect(scheduler.pending).toBe(3); // the batch still runs
    await pool.finishNext();
    expect(values(a.value as Tensor[])).toEqual([1, 1]);
    expect(values(c.value as Tensor[])).toEqual([3, 3]);
    expect(stats.executionCount).toBe(2);
    expect(scheduler.pending).toBe(0);
  });

  it('fail() refuses every queued and every later request with its error; the running one still finishes', async () => {
    const { pool, scheduler } = setup(db(), 1);
    const running = outcome(scheduler.submit(job(0)));
    const queued = [outcome(scheduler.submit(job(1))), outcome(scheduler.submit(job(2)))];
    const gone = new InferError('UNAVAILABLE', "model 'm' version 1 is unavailable: crash loop");
    scheduler.fail(gone);
    await flush();
    expect(queued.map((o) => o.error)).toEqual([gone, gone]);
    await expect(scheduler.submit(job(3))).rejects.toBe(gone);
    await pool.finishNext();
    expect(values(running.value as Tensor[])).toEqual([0, 0]);
    expect(scheduler.pending).toBe(0);
  });

  it('a failed execution fails every request in it', async () => {
    const { pool, scheduler } = setup(db(), 1);
    scheduler.submit(job(0)).catch(() => undefined);
    const a = outcome(scheduler.submit(job(1)));
    const b = outcome(scheduler.submit(job(2)));
    await pool.finishNext();
    (pool.held.shift() as { fail(e: Error): void }).fail(new InferError('UNAVAILABLE', 'worker gone'));
    await flush();
    expect([a.error?.code, b.error?.code]).toEqual(['UNAVAILABLE', 'UNAVAILABLE']);
  });
});

describe('ModelScheduler observers', () => {
  it('reports dequeue per request and one record per request with every observer of the batch', async () => {
    const { pool, scheduler } = setup(db(), 1);
    const seen: Array<{ who: number; dequeued?: number; record?: ExecutionRecord }> = [];
    const observer = (who: number): ExecutionObserver => {
      const entry: (typeof seen)[number] = { who };
      seen.push(entry);
      return { dequeued: (at) => void (entry.dequeued = at), executed: (r) => void (entry.record = r) };
    };
    scheduler.submit(job(0, 1, { observer: observer(0) })).catch(() => undefined);
    const rest = [scheduler.submit(job(1, 1, { observer: observer(1) })), scheduler.submit(job(2, 2, { observer: observer(2) }))];
    await pool.finishNext();
    await pool.finishNext();
    await Promise.all(rest);
    expect(seen.every((s) => typeof s.dequeued === 'number')).toBe(true);
    expect(seen[0].record?.batchSize).toBe(1);
    expect(seen[0].record?.requests).toHaveLength(1);
    expect(seen[1].record).toBe(seen[2].record);
    expect(seen[1].record?.batchSize).toBe(3);
    expect(seen[1].record?.requests).toHaveLength(2);
  });
});

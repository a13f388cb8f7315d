// Per model-version scheduler: a FIFO of accepted requests in front of the instance pool. A free instance takes
// the next request; a request whose caller went away (AbortSignal) leaves the queue, or has its result dropped if
// it is already running. Records queue and compute durations in the model's statistics.

import { InferError } from '../errors';
import type { InstancePool } from '../runtime/instance-pool';
import type { ModelInstance, RunResult } from '../runtime/model-instance';
import type { ModelStats } from '../telemetry/model-stats';
import type { Tensor } from '../tensor/tensor';
import type { ExecutionObserver } from './execution-observer';

export interface SchedulerJob {
  inputs: Tensor[];
  /** Output names to compute. */
  outputs: string[];
  /** Rows this request contributes (its batch dim; 1 for a model without batching). */
  rows: number;
  signal?: AbortSignal;
  /** Telemetry's view of this request (see execution-observer.ts). */
  observer?: ExecutionObserver;
}

interface Entry {
  job: SchedulerJob;
  enqueuedNs: number;
  resolve: (outputs: Tensor[]) => void;
  reject: (err: Error) => void;
  onAbort?: () => void;
}

const nowNs = (): number => Number(process.hrtime.bigint());

export function abortError(signal: AbortSignal | undefined, label: string): InferError {
  const reason: unknown = signal?.reason;
  if (reason instanceof InferError) return reason;
  return new InferError('CANCELLED', `${label}: request cancelled by the client`);
}

export class ModelScheduler {
  private readonly queue: Entry[] = [];
  private running = 0;
  private idleWaiters: Array<() => void> = [];

  constructor(
    private readonly pool: InstancePool,
    private readonly stats: ModelStats,
    private readonly label: string,
  ) {
    pool.on('available', () => this.pump());
  }

  /** Requests accepted and not yet finished (queued + running). */
  get pending(): number {
    return this.queue.length + this.running;
  }

  submit(job: SchedulerJob): Promise<Tensor[]> {
    if (job.signal?.aborted) return Promise.reject(abortError(job.signal, this.label));
    return new Promise((resolve, reject) => {
      const entry: Entry = { job, enqueuedNs: nowNs(), resolve, reject };
      if (job.signal) {
        entry.onAbort = () => this.abandon(entry);
        job.signal.addEventListener('abort', entry.onAbort, { once: true });
      }
      this.queue.push(entry);
      this.pump();
    });
  }

  /** Resolves once nothing is queued or running (used before an instance pool is closed). */
  drain(): Promise<void> {
    if (this.pending === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  private abandon(entry: Entry): void {
    const at = this.queue.indexOf(entry);
    if (at >= 0) {
      this.queue.splice(at, 1);
      this.settle();
    }
    // A running entry keeps its instance busy until the run ends; its result is dropped then.
    entry.reject(abortError(entry.job.signal, this.label));
  }

  private pump(): void {
    while (this.queue.length > 0) {
      const inst = this.pool.acquire();
      if (!inst) return;
      this.dispatch(inst, this.queue.shift() as Entry);
    }
  }

  private dispatch(inst: ModelInstance, entry: Entry): void {
    const startNs = nowNs();
    this.stats.recordQueue(startNs - entry.enqueuedNs);
    entry.job.observer?.dequeued(startNs);
    this.running++;
    inst.run(entry.job.inputs, entry.job.outputs).then(
      (result) => this.finish(inst, entry, result, null),
      (err: Error) => this.finish(inst, entry, null, err),
    );
  }

  private finish(inst: ModelInstance, entry: Entry, result: RunResult | null, err: Error | null): void {
    this.running--;
    if (entry.onAbort) entry.job.signal?.removeEventListener('abort', entry.onAbort);
    if (result) {
      const t = result.timings;
      const observer = entry.job.observer;
      observer?.executed({
        batchSize: entry.job.rows,
        requests: [observer],
        startNs: t.sentNs,
        inferStartNs: t.inferStartNs,
        inferEndNs: t.inferEndNs,
        endNs: t.returnedNs,
      });
      this.stats.recordExecution({
        requests: 1,
        batchSize: entry.job.rows,
        computeInputNs: t.inferStartNs - t.sentNs,
        computeInferNs: t.inferEndNs - t.inferStartNs,
        computeOutputNs: t.returnedNs - t.inferEndNs,
      });
      entry.resolve(result.outputs);
    } else {
      entry.reject(err as Error);
    }
    this.pool.release(inst);
    this.settle();
  }

  private settle(): void {
    if (this.pending > 0) return;
    const waiters = this.idleWaiters;
    this.idleWaiters = [];
    for (const w of waiters) w();
  }
}

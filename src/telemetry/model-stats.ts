// Per model-version counters in Triton's ModelStatistics layout (durations as count + cumulative ns). The
// ModelStatistics RPC reads them; the metrics endpoint reads the same ones at scrape time.

export interface Duration {
  count: number;
  ns: number;
}

export interface BatchStats {
  batchSize: number;
  computeInput: Duration;
  computeInfer: Duration;
  computeOutput: Duration;
}

const zero = (): Duration => ({ count: 0, ns: 0 });
const add = (d: Duration, ns: number, count = 1): void => {
  d.count += count;
  d.ns += Math.max(0, Math.round(ns));
};

export interface ExecutionTimes {
  /** Requests in the execution (each timed separately in queue/compute counters). */
  requests: number;
  /** Rows in the execution: batch size (1 for a model without batching). */
  batchSize: number;
  computeInputNs: number;
  computeInferNs: number;
  computeOutputNs: number;
}

/** Triton's `reason` label of nv_inference_request_failure. */
export type FailureReason = 'REJECTED' | 'CANCELED' | 'BACKEND' | 'OTHER';

/** Reason of a failed request from its error code (InferError codes, read without importing them). */
export function failureReason(err: unknown): FailureReason {
  const code = (err as { code?: unknown } | null)?.code;
  switch (code) {
    case 'CANCELLED':
    case 'DEADLINE_EXCEEDED':
      return 'CANCELED';
    case 'INVALID_ARGUMENT':
    case 'RESOURCE_EXHAUSTED':
    case 'UNAVAILABLE':
    case 'FAILED_PRECONDITION':
      return 'REJECTED';
    case 'INTERNAL':
      return 'BACKEND';
    default:
      return 'OTHER';
  }
}

export class ModelStats {
  readonly success = zero();
  readonly fail = zero();
  readonly queue = zero();
  readonly computeInput = zero();
  readonly computeInfer = zero();
  readonly computeOutput = zero();
  readonly cacheHit = zero();
  readonly cacheMiss = zero();
  readonly batches = new Map<number, BatchStats>();
  /** Failed requests by Triton's failure reason (their sum is `fail.count`). */
  readonly failuresByReason = new Map<FailureReason, number>();
  inferenceCount = 0;
  executionCount = 0;
  /** Milliseconds since the epoch of the last completed inference; 0 if none. */
  lastInferenceMs = 0;

  constructor(
    readonly name: string,
    readonly version: number,
  ) {}

  recordQueue(ns: number): void {
    add(this.queue, ns);
  }

  recordExecution(t: ExecutionTimes): void {
    this.executionCount++;
    this.inferenceCount += t.batchSize;
    // Triton counts compute durations once per request in the request statistics, once per batch in batch_stats.
    add(this.computeInput, t.computeInputNs * t.requests, t.requests);
    add(this.computeInfer, t.computeInferNs * t.requests, t.requests);
    add(this.computeOutput, t.computeOutputNs * t.requests, t.requests);
    let b = this.batches.get(t.batchSize);
    if (!b) {
      b = { batchSize: t.batchSize, computeInput: zero(), computeInfer: zero(), computeOutput: zero() };
      this.batches.set(t.batchSize, b);
    }
    add(b.computeInput, t.computeInputNs);
    add(b.computeInfer, t.computeInferNs);
    add(b.computeOutput, t.computeOutputNs);
  }

  /** A response served from the response cache: `ns` is the lookup time (Triton's cache_hit). */
  recordCacheHit(ns: number): void {
    add(this.cacheHit, ns);
  }

  /** A response cache lookup that missed: `ns` is lookup plus insertion time (Triton's cache_miss). */
  recordCacheMiss(ns: number): void {
    add(this.cacheMiss, ns);
  }

  recordSuccess(ns: number): void {
    add(this.success, ns);
    this.lastInferenceMs = Date.now();
  }

  recordFailure(ns: number, reason: FailureReason = 'OTHER'): void {
    add(this.fail, ns);
    this.failuresByReason.set(reason, (this.failuresByReason.get(reason) ?? 0) + 1);
    this.lastInferenceMs = Date.now();
  }
}

// Decides, when an instance is free, what the next execution carries: the requests at the head of the queue
// whose batch keys match (never mixing non-batch dims), up to max_batch_size rows, cut to a preferred batch size
// where one fits. It waits only while waiting can help: the oldest request is still inside
// max_queue_delay_microseconds AND, at the observed arrival rate, enough rows should arrive in that time to reach
// the next preferred size (without preferred sizes: at least one more row). Pure: time and arrival rate come in as numbers.

import type { QueuedItem } from './request-queue';

export interface BatchPolicy {
  /** Rows one execution may hold; 0 or 1: every request runs alone. */
  maxBatchSize: number;
  /** Triton's preferred_batch_size, ascending. */
  preferredBatchSizes: readonly number[];
  maxQueueDelayNs: number;
}

export type BatchDecision<T> =
  | { kind: 'run'; items: T[] }
  | { kind: 'wait'; untilNs: number }
  | { kind: 'empty' };

/** Rows at which an execution is as large as this policy makes them: the largest preferred size, else the maximum. */
export function fullBatchRows(policy: BatchPolicy): number {
  const preferred = policy.preferredBatchSizes;
  return preferred.length > 0 ? preferred[preferred.length - 1] : policy.maxBatchSize;
}

function cutToPreferred<T extends QueuedItem>(items: T[], preferred: readonly number[]): T[] {
  let rows = 0;
  let best = 0;
  for (let i = 0; i < items.length; i++) {
    rows += items[i].rows;
    if (preferred.includes(rows)) best = i + 1;
  }
  return best > 0 ? items.slice(0, best) : items;
}

/**
 * @param rowGapNs expected nanoseconds between arriving rows (Infinity when unknown: never wait).
 */
export function formBatch<T extends QueuedItem>(
  queue: Iterable<T>,
  policy: BatchPolicy,
  nowNs: number,
  rowGapNs: number,
): BatchDecision<T> {
  const items: T[] = [];
  let rows = 0;
  let blocked = false;
  for (const item of queue) {
    if (items.length === 0) {
      items.push(item);
      rows = item.rows;
      if (policy.maxBatchSize <= 1) return { kind: 'run', items };
      continue;
    }
    if (item.batchKey !== items[0].batchKey || rows + item.rows > policy.maxBatchSize) {
      blocked = true;
      break;
    }
    items.push(item);
    rows += item.rows;
  }
  if (items.length === 0) return { kind: 'empty' };
  const preferred = policy.preferredBatchSizes;
  // Full, or nothing more can join: run now.
  if (blocked || rows >= policy.maxBatchSize || rows >= fullBatchRows(policy)) return { kind: 'run', items: cutToPreferred(items, preferred) };
  if (preferred.includes(rows)) return { kind: 'run', items };
  let oldest = items[0].enqueuedNs;
  for (const item of items) oldest = Math.min(oldest, item.enqueuedNs);
  const untilNs = oldest + policy.maxQueueDelayNs;
  const remainingNs = untilNs - nowNs;
  if (remainingNs <= 0) return { kind: 'run', items: cutToPreferred(items, preferred) };
  // With preferred sizes, waiting must reach the next one; without, one more row already makes a bigger batch.
  const target = preferred.length > 0 ? (preferred.find((p) => p > rows) as number) : rows + 1;
  const expectedRows = rowGapNs > 0 && Number.isFinite(rowGapNs) ? remainingNs / rowGapNs : 0;
  if (expectedRows < target - rows) return { kind: 'run', items: cutToPreferred(items, preferred) };
  return { kind: 'wait', untilNs };
}

// Owns: batch formation decisions (src/scheduler/batch-former.ts): sizes, preferred sizes, the queue delay with
// explicit clock values, shape compatibility, and never waiting when waiting cannot help.

import { formBatch, type BatchPolicy } from '../../src/scheduler/batch-former';
import type { QueuedItem } from '../../src/scheduler/request-queue';

const item = (id: string, rows = 1, enqueuedNs = 0, batchKey = 'k'): QueuedItem & { id: string } => ({
  id,
  rows,
  batchKey,
  enqueuedNs,
  level: 0,
  timeoutAtNs: 0,
});

const ids = (d: ReturnType<typeof formBatch<QueuedItem & { id: string }>>): string[] | string =>
  d.kind === 'run' ? d.items.map((i) => i.id) : d.kind;

const US = 1000;
const policy = (p: Partial<BatchPolicy> = {}): BatchPolicy => ({ maxBatchSize: 8, preferredBatchSizes: [], maxQueueDelayNs: 0, ...p });

describe('formBatch', () => {
  it('is empty on an empty queue', () => {
    expect(formBatch([], policy(), 0, Infinity)).toEqual({ kind: 'empty' });
  });

  it('runs requests alone when the model does not batch', () => {
    expect(ids(formBatch([item('a'), item('b')], policy({ maxBatchSize: 0 }), 0, 1))).toEqual(['a']);
  });

  it('joins compatible requests up to max_batch_size rows, in queue order', () => {
    const q = [item('a', 3), item('b', 4), item('c', 2), item('d', 1)];
    expect(ids(formBatch(q, policy(), 0, Infinity))).toEqual(['a', 'b']);
  });

  it('never merges requests whose batch keys (non-batch dims) differ, and stops at the first one', () => {
    const q = [item('a', 1, 0, 'x:4'), item('b', 1, 0, 'x:5'), item('c', 1, 0, 'x:4')];
    expect(ids(formBatch(q, policy({ maxQueueDelayNs: 100 * US }), 0, 1))).toEqual(['a']);
  });

  it('with no delay configured runs at once whatever is queued', () => {
    expect(ids(formBatch([item('a'), item('b')], policy(), 0, 1))).toEqual(['a', 'b']);
  });

  it('does not wait when nothing else is expected within the delay (arrival rate unknown or too slow)', () => {
    const p = policy({ maxQueueDelayNs: 100 * US });
    expect(ids(formBatch([item('a')], p, 10 * US, Infinity))).toEqual(['a']);
    // One row every 500 µs: none expected in the 90 µs left.
    expect(ids(formBatch([item('a')], p, 10 * US, 500 * US))).toEqual(['a']);
  });

  it('waits until the oldest request has waited max_queue_delay when more rows are expected', () => {
    const p = policy({ maxQueueDelayNs: 100 * US });
    expect(formBatch([item('a', 1, 0)], p, 10 * US, 20 * US)).toEqual({ kind: 'wait', untilNs: 100 * US });
    // Delay spent: run what is there.
    expect(ids(formBatch([item('a', 1, 0), item('b', 1, 50 * US)], p, 100 * US, 20 * US))).toEqual(['a', 'b']);
  });

  it('waits for a preferred size only if the arrival rate can reach it within the delay', () => {
    const p = policy({ preferredBatchSizes: [4, 8], maxQueueDelayNs: 100 * US });
    // 2 rows queued, 2 more needed, ~90 µs left: at 20 µs/row (4.5 expected) wait; at 60 µs/row (1.5) run now.
    expect(formBatch([item('a', 1, 0), item('b', 1, 10)], p, 10 * US, 20 * US)).toEqual({ kind: 'wait', untilNs: 100 * US });
    expect(ids(formBatch([item('a', 1, 0), item('b', 1, 10)], p, 10 * US, 60 * US))).toEqual(['a', 'b']);
  });

  it('runs at once when the batch is exactly a preferred size', () => {
    const p = policy({ preferredBatchSizes: [2, 6], maxQueueDelayNs: 1000 * US });
    expect(ids(formBatch([item('a', 1), item('b', 1)], p, 0, 1))).toEqual(['a', 'b']);
  });

  it('cuts a batch past the largest preferred size back to a preferred size at a request boundary', () => {
    const p = policy({ preferredBatchSizes: [2, 4], maxQueueDelayNs: 1000 * US });
    const q = [item('a', 1), item('b', 2), item('c', 1), item('d', 2)];
    expect(ids(formBatch(q, p, 0, 1))).toEqual(['a', 'b', 'c']);
  });

  it('keeps a larger request whole when no preferred size falls on a boundary', () => {
    const p = policy({ preferredBatchSizes: [2], maxQueueDelayNs: 0 });
    expect(ids(formBatch([item('a', 3), item('b', 2)], p, 0, 1))).toEqual(['a', 'b']);
  });
});

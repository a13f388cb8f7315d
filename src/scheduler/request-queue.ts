// The queue of one model version: one FIFO per priority level (1 is served first; a model without priority
// levels has the single level 0), each bounded by its queue policy's max_queue_size and with its policy's queue
// timeout. A request whose timeout expires is rejected (timeout_action REJECT) or moved behind every other request
// (DELAY), as Triton does.

import type { QueuePolicy } from '../config/model-config';
import { InferError } from '../errors';

export interface QueuedItem {
  rows: number;
  /** Requests with equal keys may share an execution (same inputs, non-batch dims and outputs). */
  batchKey: string;
  enqueuedNs: number;
  /** Priority level; 0 for a model without priority levels. */
  level: number;
  /** When the queue timeout expires (clock ns); 0: never. */
  timeoutAtNs: number;
}

export class RequestQueue<T extends QueuedItem> {
  private readonly levels = new Map<number, T[]>();
  private readonly delayed: T[] = [];
  private count = 0;
  private readonly anyTimeouts: boolean;

  /** `levels` in serving order; `policy(level)` gives each level's queue policy. */
  constructor(
    levels: readonly number[],
    private readonly policy: (level: number) => QueuePolicy,
    private readonly label: string,
    allowsTimeouts: boolean,
  ) {
    for (const l of levels) this.levels.set(l, []);
    this.anyTimeouts = allowsTimeouts;
  }

  get length(): number {
    return this.count;
  }

  /** Queues `item` or throws RESOURCE_EXHAUSTED when its level is full. */
  push(item: T): void {
    const fifo = this.levels.get(item.level);
    if (!fifo) throw new InferError('INTERNAL', `${this.label}: no queue for priority level ${item.level}`);
    const max = this.policy(item.level).maxQueueSize;
    if (max > 0 && fifo.length >= max) {
      const which = item.level === 0 ? 'the queue' : `the queue of priority level ${item.level}`;
      throw new InferError('RESOURCE_EXHAUSTED', `${this.label}: ${which} is full (max_queue_size ${max})`);
    }
    fifo.push(item);
    this.count++;
  }

  remove(item: T): boolean {
    for (const fifo of [...this.levels.values(), this.delayed]) {
      const at = fifo.indexOf(item);
      if (at >= 0) {
        fifo.splice(at, 1);
        this.count--;
        return true;
      }
    }
    return false;
  }

  /** Every queued request in serving order: by level, each level oldest first, delayed requests last. */
  *ordered(): Generator<T> {
    for (const fifo of this.levels.values()) yield* fifo;
    yield* this.delayed;
  }

  /**
   * Applies queue timeouts at `nowNs`: returns the requests to reject (REJECT) after removing them, and moves
   * DELAY requests behind everything else. Also returns when the next timeout falls (Infinity: none).
   */
  expire(nowNs: number): { rejected: T[]; nextTimeoutNs: number } {
    const rejected: T[] = [];
    let next = Infinity;
    if (!this.anyTimeouts) return { rejected, nextTimeoutNs: next };
    for (const [level, fifo] of this.levels) {
      const action = this.policy(level).timeoutAction;
      for (let i = 0; i < fifo.length; ) {
        const item = fifo[i];
        if (item.timeoutAtNs === 0 || item.timeoutAtNs > nowNs) {
          if (item.timeoutAtNs > 0) next = Math.min(next, item.timeoutAtNs);
          i++;
          continue;
        }
        fifo.splice(i, 1);
        if (action === 'DELAY') {
          this.delayed.push(item);
        } else {
          rejected.push(item);
          this.count--;
        }
      }
    }
    return { rejected, nextTimeoutNs: next };
  }
}

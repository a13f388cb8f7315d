// Server-wide backpressure: a budget of request bytes accepted and not yet finished, shared by every model's
// scheduler. A request that would push the total past the limit is refused at once with RESOURCE_EXHAUSTED.

import { InferError } from '../errors';
import type { NumericData, Tensor } from '../tensor/tensor';

/** Bytes a request's input tensors hold (numeric data plus BYTES element payloads). */
export function requestBytes(inputs: readonly Tensor[]): number {
  let n = 0;
  for (const t of inputs) {
    if (t.datatype === 'BYTES') for (const e of t.data as Uint8Array[]) n += e.byteLength;
    else n += (t.data as NumericData).byteLength;
  }
  return n;
}

export class InflightBytes {
  private used = 0;

  /** `limit` 0: unlimited. */
  constructor(readonly limit: number) {}

  get inUse(): number {
    return this.used;
  }

  /** Takes `bytes` from the budget or throws RESOURCE_EXHAUSTED naming the limit. */
  acquire(bytes: number, where: string): void {
    if (this.limit > 0 && this.used + bytes > this.limit) {
      throw new InferError(
        'RESOURCE_EXHAUSTED',
        `${where}: server in-flight request bytes limit (--max-inflight-bytes ${this.limit}) reached: ` +
          `${this.used} bytes in flight, this request needs ${bytes}`,
      );
    }
    this.used += bytes;
  }

  release(bytes: number): void {
    this.used = Math.max(0, this.used - bytes);
  }
}

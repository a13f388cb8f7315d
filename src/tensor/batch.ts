// Batch joining and splitting along the first (batch) dim, for every datatype. An execution's input is a
// BatchInput: the same-named tensors of the requests it runs, with their joined shape; their data is joined only
// where it is copied anyway (into a worker's shared slot or its transfer buffer, runtime/transfer.ts). Outputs
// are split back as zero-copy views; BYTES tensors (one Uint8Array per element) as element lists. Used by the
// dynamic batcher to run several requests as one execution.

import { InferError } from '../errors';
import type { Datatype } from './datatypes';
import { formatShape } from './shape';
import { elementCount, type NumericData, type Tensor, type TensorData } from './tensor';

/** One input of an execution: the same-named tensors of the requests it runs, in request order, and their joined shape. */
export interface BatchInput {
  name: string;
  datatype: Datatype;
  shape: number[];
  parts: readonly Tensor[];
}

/** The parts as one execution input; their datatype and other dims must agree. */
export function batchInput(parts: readonly Tensor[]): BatchInput {
  if (parts.length === 0) throw new InferError('INTERNAL', 'a batch input needs at least one tensor');
  const first = parts[0];
  if (parts.length === 1) return { name: first.name, datatype: first.datatype, shape: first.shape, parts };
  const inner = first.shape.slice(1);
  let rows = 0;
  for (const p of parts) {
    if (p.datatype !== first.datatype || p.shape.length !== first.shape.length || p.shape.slice(1).some((d, i) => d !== inner[i])) {
      throw new InferError(
        'INTERNAL',
        `cannot batch tensor '${first.name}': ${first.datatype} ${formatShape(first.shape)} with ${p.datatype} ${formatShape(p.shape)}`,
      );
    }
    rows += p.shape[0];
  }
  return { name: first.name, datatype: first.datatype, shape: [rows, ...inner], parts };
}

/** Splits a batched tensor into consecutive row ranges of the given sizes (which must add up to its dim 0). */
export function splitBatch(t: Tensor, rows: readonly number[]): Tensor[] {
  const total = rows.reduce((a, b) => a + b, 0);
  if (t.shape.length === 0 || t.shape[0] !== total) {
    throw new InferError(
      'INTERNAL',
      `output '${t.name}' has shape ${formatShape(t.shape)}; the batch it answers has ${total} rows`,
    );
  }
  if (rows.length === 1) return [t];
  const inner = t.shape.slice(1);
  const perRow = elementCount(inner);
  const out: Tensor[] = [];
  let at = 0;
  for (const r of rows) {
    const n = r * perRow;
    const data: TensorData =
      t.datatype === 'BYTES' ? (t.data as Uint8Array[]).slice(at, at + n) : (t.data as NumericData).subarray(at, at + n);
    out.push({ name: t.name, datatype: t.datatype, shape: [r, ...inner], data });
    at += n;
  }
  return out;
}

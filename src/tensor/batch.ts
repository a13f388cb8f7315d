// Batch concatenation and splitting along the first (batch) dim, for every datatype: numeric tensors are joined
// into one fresh typed array and split back as zero-copy views; BYTES tensors (one Uint8Array per element) are
// joined and split as element lists. Used by the dynamic batcher to run several requests as one execution.

import { InferError } from '../errors';
import { formatShape } from './shape';
import { elementCount, type NumericData, type Tensor, type TensorData } from './tensor';

/** Joins same-named tensors of several requests along dim 0; their other dims and datatype must agree. */
export function concatBatch(parts: readonly Tensor[]): Tensor {
  if (parts.length === 0) throw new InferError('INTERNAL', 'concatBatch needs at least one tensor');
  const first = parts[0];
  if (parts.length === 1) return first;
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
  const shape = [rows, ...inner];
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

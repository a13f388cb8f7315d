// Owns: batch inputs (joined shape, compatibility) and splitting along dim 0 (src/tensor/batch.ts) for every
// datatype, each split checked against a join of the parts (the test double's concatBatch).

import { batchInput, splitBatch } from '../../src/tensor/batch';
import { concatBatch } from '../support/fake-scheduling';
import { DATATYPES, DATATYPE_INFO, type Datatype } from '../../src/tensor/datatypes';
import type { NumericData, Tensor } from '../../src/tensor/tensor';

/** A [rows, 3] tensor whose element i of request `tag` is tag*100 + i (BYTES: the same as text). */
function tensor(datatype: Datatype, rows: number, tag: number): Tensor {
  const n = rows * 3;
  const values = Array.from({ length: n }, (_, i) => tag * 100 + i);
  if (datatype === 'BYTES') {
    return { name: 'X', datatype, shape: [rows, 3], data: values.map((v) => new TextEncoder().encode(`r${v}`)) };
  }
  const Ctor = DATATYPE_INFO[datatype].array as unknown as new (n: number) => NumericData;
  const data = new Ctor(n);
  values.forEach((v, i) => {
    (data as unknown as Array<number | bigint>)[i] = data instanceof BigInt64Array || data instanceof BigUint64Array ? BigInt(v) : datatype === 'BOOL' ? v % 2 : v;
  });
  return { name: 'X', datatype, shape: [rows, 3], data };
}

const plain = (t: Tensor): unknown[] =>
  t.datatype === 'BYTES' ? (t.data as Uint8Array[]).map((e) => new TextDecoder().decode(e)) : Array.from(t.data as ArrayLike<unknown>);

describe('concatBatch and splitBatch', () => {
  it.each([...DATATYPES])(
    '%s: three requests of 1, 2 and 4 rows round-trip, each getting exactly its rows',
    (datatype) => {
      const parts = [tensor(datatype, 1, 1), tensor(datatype, 2, 2), tensor(datatype, 4, 3)];
      const joined = concatBatch(parts);
      expect(joined.shape).toEqual([7, 3]);
      expect(joined.datatype).toBe(datatype);
      expect(plain(joined)).toEqual(parts.flatMap(plain));
      const split = splitBatch(joined, [1, 2, 4]);
      expect(split.map((t) => t.shape)).toEqual([[1, 3], [2, 3], [4, 3]]);
      split.forEach((t, i) => expect(plain(t)).toEqual(plain(parts[i])));
    },
  );

  it('returns a lone tensor unchanged (no copy)', () => {
    const t = tensor('FP32', 2, 1);
    expect(concatBatch([t])).toBe(t);
    expect(splitBatch(t, [2])[0]).toBe(t);
  });

  it('refuses to join tensors whose non-batch dims or datatypes differ', () => {
    const a = tensor('FP32', 1, 1);
    const b: Tensor = { ...tensor('FP32', 1, 2), shape: [1, 1, 3] };
    expect(() => concatBatch([a, b])).toThrow(/cannot batch tensor 'X'/);
    expect(() => batchInput([a, b])).toThrow(/cannot batch tensor 'X': FP32 \[1,3\] with FP32 \[1,1,3\]/);
    expect(() => batchInput([a, tensor('FP64', 1, 2)])).toThrow(/cannot batch tensor 'X'/);
  });

  it('a batch input has the joined shape and keeps its parts as they are (nothing copied)', () => {
    const parts = [tensor('INT64', 2, 1), tensor('INT64', 3, 2)];
    const input = batchInput(parts);
    expect([input.name, input.datatype, input.shape]).toEqual(['X', 'INT64', [5, 3]]);
    expect(input.parts[0]).toBe(parts[0]);
    expect(input.parts[1]).toBe(parts[1]);
    expect(batchInput([parts[0]]).shape).toBe(parts[0].shape);
  });

  it('refuses a split whose rows do not add up to the batch', () => {
    expect(() => splitBatch(tensor('INT32', 3, 1), [1, 1])).toThrow(/3 rows|has shape \[3,3\]/);
  });
});

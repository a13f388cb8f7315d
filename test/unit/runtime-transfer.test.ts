// Owns: how an execution's inputs leave the main thread (src/runtime/transfer.ts): a batch input's numeric parts
// become pieces that are not copied until they are handed over, BYTES parts become one joined list of strings,
// and the postMessage path packs every input's pieces, joined, into one fresh 8-byte-aligned buffer it transfers.

import { batchInput } from '../../src/tensor/batch';
import type { Tensor } from '../../src/tensor/tensor';
import { outgoingInputs, packInputs } from '../../src/runtime/transfer';

const fp32 = (rows: number, first: number): Tensor => ({
  name: 'X',
  datatype: 'FP32',
  shape: [rows, 2],
  data: new Float32Array(rows * 2).map((_, i) => first + i),
});
const text = (values: string[]): Tensor => ({
  name: 'S',
  datatype: 'BYTES',
  shape: [values.length, 1],
  data: values.map((v) => new TextEncoder().encode(v)),
});
const flags: Tensor = { name: 'B', datatype: 'BOOL', shape: [3, 1], data: new Uint8Array([1, 0, 1]) };

describe('outgoingInputs', () => {
  it('keeps numeric parts as pieces (no copy) under the joined dims, and joins strings', () => {
    const a = fp32(1, 0);
    const b = fp32(2, 10);
    const [x, s] = outgoingInputs([batchInput([a, b]), batchInput([text(['a']), text(['bc', 'd'])])]);
    expect(x).toMatchObject({ name: 'X', type: 'float32', dims: [3, 2], strings: null });
    expect(x.pieces[0]).toBe(a.data);
    expect(x.pieces[1]).toBe(b.data);
    expect(s).toMatchObject({ name: 'S', type: 'string', dims: [3, 1], pieces: [], strings: ['a', 'bc', 'd'] });
  });
});

describe('packInputs', () => {
  it('joins each input into one transferred buffer, every input 8-byte aligned', () => {
    const packed = packInputs(outgoingInputs([batchInput([flags]), batchInput([fp32(1, 0), fp32(2, 10)]), batchInput([text(['q'])])]));
    expect(packed.transfer).toHaveLength(1);
    const [b, x, s] = packed.tensors;
    expect([b.type, b.dims, Array.from(b.data as Uint8Array)]).toEqual(['bool', [3, 1], [1, 0, 1]]);
    expect([x.type, x.dims, Array.from(x.data as Float32Array)]).toEqual(['float32', [3, 2], [0, 1, 10, 11, 12, 13]]);
    expect((x.data as Float32Array).buffer).toBe(packed.transfer[0]);
    expect((x.data as Float32Array).byteOffset % 8).toBe(0);
    expect(s.data).toEqual(['q']);
  });

  it('transfers nothing when every input is strings', () => {
    expect(packInputs(outgoingInputs([batchInput([text(['a', 'b'])])])).transfer).toEqual([]);
  });
});

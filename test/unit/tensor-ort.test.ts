// Tests for src/tensor/ort-tensor.ts: Tensor ↔ onnxruntime-node tensor shapes, checked against real ort.Tensor.

import * as ort from 'onnxruntime-node';
import { InferError } from '../../src/errors';
import { DATATYPES, DATATYPE_INFO, type Datatype } from '../../src/tensor/datatypes';
import { fp32ToFp16Bits } from '../../src/tensor/half';
import { fromOrtValue, toOrtFeed } from '../../src/tensor/ort-tensor';
import type { NumericData, Tensor } from '../../src/tensor/tensor';

const utf8 = (s: string): Uint8Array => new TextEncoder().encode(s);

function sample(dt: Datatype): Tensor {
  const info = DATATYPE_INFO[dt];
  const shape = [2, 2];
  if (dt === 'BYTES') return { name: 'x', datatype: dt, shape, data: [utf8('a'), utf8(''), utf8('日本🎉'), utf8('ü')] };
  const ctor = info.array!;
  const data =
    ctor === BigInt64Array || ctor === BigUint64Array
      ? (ctor as BigInt64ArrayConstructor).from([0n, 1n, 2n, 3n])
      : dt === 'FP16'
        ? Uint16Array.from([1, -2, 0.5, 65504], fp32ToFp16Bits)
        : (ctor as Float64ArrayConstructor).from([0, 1, 2, 3]);
  return { name: 'x', datatype: dt, shape, data: data as NumericData };
}

function code(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(InferError);
    return (e as InferError).code;
  }
  throw new Error('expected an InferError');
}

const ORT_TYPES = DATATYPES.filter((d) => DATATYPE_INFO[d].ort !== null);

test.each(ORT_TYPES)('%s → ort.Tensor → Tensor', (dt) => {
  const t = sample(dt);
  const feed = toOrtFeed(t);
  expect(feed.type).toBe(DATATYPE_INFO[dt].ort);
  expect(feed.dims).toEqual([2, 2]);
  if (dt !== 'BYTES') expect(feed.data).toBe(t.data); // passed through, no copy
  const ot = new ort.Tensor(feed.type as 'float32', feed.data as Float32Array, feed.dims);
  expect(ot.type).toBe(feed.type);
  const back = fromOrtValue('y', ot);
  expect(back.name).toBe('y');
  expect(back.datatype).toBe(dt);
  expect(back.shape).toEqual([2, 2]);
  if (dt === 'BYTES') {
    expect(feed.data).toEqual(['a', '', '日本🎉', 'ü']);
    expect((back.data as Uint8Array[]).map((e) => Buffer.from(e).toString('hex'))).toEqual(
      (t.data as Uint8Array[]).map((e) => Buffer.from(e).toString('hex')),
    );
  } else {
    expect(back.data.constructor).toBe(t.data.constructor);
    expect(Array.from(back.data as ArrayLike<unknown>)).toEqual(Array.from(t.data as ArrayLike<unknown>));
  }
});

test('BOOL feeds a Uint8Array as ort bool', () => {
  const feed = toOrtFeed({ name: 'b', datatype: 'BOOL', shape: [2], data: new Uint8Array([1, 0]) });
  expect(feed.type).toBe('bool');
  expect(feed.data).toBeInstanceOf(Uint8Array);
});

test('BF16 has no ort tensor type', () => {
  expect(code(() => toOrtFeed({ name: 'h', datatype: 'BF16', shape: [1], data: new Uint16Array(1) }))).toBe('INVALID_ARGUMENT');
});

test('non-UTF-8 BYTES cannot become an ort string', () => {
  const t: Tensor = { name: 's', datatype: 'BYTES', shape: [2], data: [utf8('ok'), new Uint8Array([0xff, 0xfe])] };
  expect(code(() => toOrtFeed(t))).toBe('INVALID_ARGUMENT');
});

test('float16 data in another 16-bit view (e.g. Float16Array) is re-viewed as Uint16Array', () => {
  const bits = new Int16Array([0x3c00, 0x4000]);
  const t = fromOrtValue('h', { type: 'float16', data: bits, dims: [2] });
  expect(t.datatype).toBe('FP16');
  expect(t.data).toBeInstanceOf(Uint16Array);
  expect((t.data as Uint16Array).buffer).toBe(bits.buffer);
  expect(Array.from(t.data as Uint16Array)).toEqual([0x3c00, 0x4000]);
});

test('bad ort values', () => {
  expect(code(() => fromOrtValue('o', { type: 'int4', data: new Uint8Array(1), dims: [2] }))).toBe('UNIMPLEMENTED');
  expect(code(() => fromOrtValue('o', { type: 'float32', data: new Float32Array(3), dims: [2, 2] }))).toBe('INTERNAL');
  expect(code(() => fromOrtValue('o', { type: 'float32', data: [1, 2], dims: [2] }))).toBe('INTERNAL');
  expect(code(() => fromOrtValue('o', { type: 'string', data: ['a'], dims: [2] }))).toBe('INTERNAL');
  expect(code(() => fromOrtValue('o', { type: 'float32', data: new Float32Array(0), dims: [-1] }))).toBe('INTERNAL');
});

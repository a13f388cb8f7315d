// Tests for the tensor codec (src/tensor/decode.ts, encode.ts): raw and typed round trips for every datatype,
// known wire bytes, empty/scalar/BYTES edge cases, alignment and zero-copy, and every error with its code.

import { InferError } from '../../src/errors';
import { DATATYPES, DATATYPE_INFO, type Datatype, type TypedContents } from '../../src/tensor/datatypes';
import { decodeRaw, decodeTyped } from '../../src/tensor/decode';
import { encodeRaw, encodeTyped } from '../../src/tensor/encode';
import { fp32ToBf16Bits, fp32ToFp16Bits } from '../../src/tensor/half';
import type { NumericData, Tensor } from '../../src/tensor/tensor';

const WHERE = "model 'simple' version 1";
const utf8 = (s: string): Uint8Array => new TextEncoder().encode(s);
const hex = (b: Uint8Array): string => Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('hex');

/** Six sample values per datatype, extremes included. */
function sampleData(dt: Datatype): Tensor['data'] {
  switch (dt) {
    case 'BOOL': return new Uint8Array([1, 0, 1, 1, 0, 0]);
    case 'UINT8': return new Uint8Array([0, 1, 127, 128, 254, 255]);
    case 'UINT16': return new Uint16Array([0, 1, 0x1234, 0x8000, 0xfffe, 0xffff]);
    case 'UINT32': return new Uint32Array([0, 1, 0x12345678, 0x80000000, 0xfffffffe, 0xffffffff]);
    case 'UINT64': return new BigUint64Array([0n, 1n, 2n ** 53n + 1n, 2n ** 63n, 2n ** 64n - 2n, 2n ** 64n - 1n]);
    case 'INT8': return new Int8Array([-128, -1, 0, 1, 100, 127]);
    case 'INT16': return new Int16Array([-32768, -1, 0, 1, 12345, 32767]);
    case 'INT32': return new Int32Array([-(2 ** 31), -2, 0, 1, 123456789, 2 ** 31 - 1]);
    case 'INT64': return new BigInt64Array([-(2n ** 63n), -2n, 0n, 1n, 2n ** 53n + 1n, 2n ** 63n - 1n]);
    case 'FP16': return Uint16Array.from([1, -2.5, 0, -0, Infinity, 65504], fp32ToFp16Bits);
    case 'BF16': return Uint16Array.from([1, -2.5, 0, -0, -Infinity, 3.0e38], fp32ToBf16Bits);
    case 'FP32': return new Float32Array([1.5, -2, 0, -0, Infinity, 3.4028234663852886e38]);
    case 'FP64': return new Float64Array([Math.PI, -1e308, 0, -0, -Infinity, 5e-324]);
    case 'BYTES': return [utf8('hello'), new Uint8Array(0), utf8('héllo wörld'), utf8('日本語🎉'), new Uint8Array([0, 255, 128, 0]), utf8('x')];
  }
}

function sample(dt: Datatype, shape: number[] = [2, 3]): Tensor {
  const all = sampleData(dt);
  const n = shape.reduce((a, b) => a * b, 1);
  const data = Array.isArray(all) ? all.slice(0, n) : (all as NumericData).slice(0, n);
  return { name: `T_${dt}`, datatype: dt, shape, data };
}

/** Decoded tensor equals expected: same name, datatype, shape, backing array type and values (incl. -0, NaN). */
function expectSame(got: Tensor, want: Tensor): void {
  expect(got.name).toBe(want.name);
  expect(got.datatype).toBe(want.datatype);
  expect(got.shape).toEqual(want.shape);
  if (want.datatype === 'BYTES') {
    const g = got.data as Uint8Array[];
    expect(Array.isArray(g)).toBe(true);
    expect(g.map(hex)).toEqual((want.data as Uint8Array[]).map(hex));
  } else {
    expect(got.data.constructor).toBe(want.data.constructor);
    expect(Array.from(got.data as ArrayLike<unknown>)).toEqual(Array.from(want.data as ArrayLike<unknown>));
  }
}

function expectError(fn: () => unknown, code: string, ...parts: string[]): InferError {
  let caught: unknown;
  try {
    fn();
  } catch (e) {
    caught = e;
  }
  expect(caught).toBeInstanceOf(InferError);
  const err = caught as InferError;
  expect(err.code).toBe(code);
  for (const p of parts) expect(err.message).toContain(p);
  return err;
}

const header = (t: Tensor, bigintShape = false) => ({
  name: t.name,
  datatype: t.datatype as string,
  shape: bigintShape ? t.shape.map(BigInt) : t.shape,
});

const TYPED = DATATYPES.filter((d) => DATATYPE_INFO[d].contents !== null);
const RAW_ONLY = DATATYPES.filter((d) => DATATYPE_INFO[d].contents === null);

describe('round trips', () => {
  test.each(DATATYPES)('raw %s', (dt) => {
    const t = sample(dt);
    expectSame(decodeRaw(header(t), encodeRaw(t), WHERE), t);
    expectSame(decodeRaw(header(t, true), encodeRaw(t), WHERE), t);
  });

  test.each(TYPED)('typed %s', (dt) => {
    const t = sample(dt);
    const contents = encodeTyped(t);
    expectSame(decodeTyped(header(t), contents, WHERE), t);
    expectSame(decodeTyped(header(t, true), contents, WHERE), t);
  });

  test.each(DATATYPES)('empty %s, shapes [0] and [2,0]', (dt) => {
    for (const shape of [[0], [2, 0]]) {
      const t = sample(dt, shape);
      expect(t.data.length).toBe(0);
      const raw = encodeRaw(t);
      expect(raw.byteLength).toBe(0);
      expectSame(decodeRaw(header(t), raw, WHERE), t);
      if (DATATYPE_INFO[dt].contents !== null) {
        expectSame(decodeTyped(header(t), encodeTyped(t), WHERE), t);
        expectSame(decodeTyped(header(t), undefined, WHERE), t);
      }
    }
  });

  test.each(DATATYPES)('scalar %s, shape []', (dt) => {
    const t = sample(dt, []);
    expect(t.data.length).toBe(1);
    const decoded = decodeRaw(header(t), encodeRaw(t), WHERE);
    expect(decoded.shape).toEqual([]);
    expectSame(decoded, t);
    if (DATATYPE_INFO[dt].contents !== null) expectSame(decodeTyped(header(t), encodeTyped(t), WHERE), t);
  });

  test('NaN survives FP32/FP64 raw and typed', () => {
    for (const dt of ['FP32', 'FP64'] as const) {
      const t: Tensor = { name: 'n', datatype: dt, shape: [1], data: dt === 'FP32' ? new Float32Array([NaN]) : new Float64Array([NaN]) };
      expect(Number.isNaN((decodeRaw(header(t), encodeRaw(t), WHERE).data as Float32Array)[0])).toBe(true);
      expect(Number.isNaN((decodeTyped(header(t), encodeTyped(t), WHERE).data as Float32Array)[0])).toBe(true);
    }
  });
});

describe('known wire bytes', () => {
  const raw = (datatype: Datatype, data: Tensor['data'], shape = [data.length]) =>
    hex(encodeRaw({ name: 'x', datatype, shape, data }));

  test('numeric little-endian layouts', () => {
    expect(raw('INT32', new Int32Array([1, -2]))).toBe('01000000feffffff');
    expect(raw('UINT16', new Uint16Array([0x1234]))).toBe('3412');
    expect(raw('INT64', new BigInt64Array([-1n, 2n]))).toBe('ffffffffffffffff0200000000000000');
    expect(raw('UINT64', new BigUint64Array([0x0102030405060708n]))).toBe('0807060504030201');
    expect(raw('FP32', new Float32Array([1, -2]))).toBe('0000803f000000c0');
    expect(raw('FP64', new Float64Array([1]))).toBe('000000000000f03f');
    expect(raw('FP16', new Uint16Array([fp32ToFp16Bits(1)]))).toBe('003c');
    expect(raw('BF16', new Uint16Array([fp32ToBf16Bits(1)]))).toBe('803f');
    expect(raw('BOOL', new Uint8Array([1, 0]))).toBe('0100');
    expect(raw('INT8', new Int8Array([-1, 5]))).toBe('ff05');
  });

  test('BYTES: 4-byte LE length prefix per element', () => {
    expect(raw('BYTES', [utf8('a'), new Uint8Array(0), utf8('é')])).toBe('01000000' + '61' + '00000000' + '02000000' + 'c3a9');
  });

  test('decoding known bytes', () => {
    const t = decodeRaw({ name: 'x', datatype: 'INT32', shape: [2] }, Buffer.from('01000000feffffff', 'hex'), WHERE);
    expect(t.data).toBeInstanceOf(Int32Array);
    expect(Array.from(t.data as Int32Array)).toEqual([1, -2]);
    const b = decodeRaw({ name: 'b', datatype: 'BYTES', shape: [3] }, Buffer.from('0100000061000000000200000000ff', 'hex'), WHERE);
    expect((b.data as Uint8Array[]).map(hex)).toEqual(['61', '', '00ff']);
  });

  test('typed contents carry the datatype field and empty others', () => {
    const c = encodeTyped({ name: 'x', datatype: 'INT64', shape: [2], data: new BigInt64Array([-1n, 5n]) });
    expect(c.int64Contents).toEqual([-1n, 5n]);
    expect(c.intContents).toEqual([]);
    expect(c.fp32Contents).toEqual([]);
    expect(c.bytesContents).toEqual([]);
    expect(encodeTyped({ name: 'b', datatype: 'BOOL', shape: [3], data: new Uint8Array([1, 0, 2]) }).boolContents).toEqual([true, false, true]);
    expect(encodeTyped({ name: 'u', datatype: 'UINT8', shape: [2], data: new Uint8Array([0, 255]) }).uintContents).toEqual([0, 255]);
    expect(encodeTyped({ name: 'i', datatype: 'INT16', shape: [1], data: new Int16Array([-7]) }).intContents).toEqual([-7]);
    const s = encodeTyped({ name: 's', datatype: 'BYTES', shape: [1], data: [utf8('hé')] });
    expect(Buffer.isBuffer(s.bytesContents[0])).toBe(true);
    expect(hex(s.bytesContents[0])).toBe('68c3a9');
  });

  test('BOOL decodes typed booleans to 0/1 and keeps raw bytes as sent', () => {
    const typed = decodeTyped({ name: 'b', datatype: 'BOOL', shape: [3] }, { boolContents: [true, false, true] }, WHERE);
    expect(Array.from(typed.data as Uint8Array)).toEqual([1, 0, 1]);
    const raw = decodeRaw({ name: 'b', datatype: 'BOOL', shape: [3] }, new Uint8Array([0, 1, 7]), WHERE);
    expect(Array.from(raw.data as Uint8Array)).toEqual([0, 1, 7]);
  });
});

describe('BYTES elements', () => {
  test('empty, UTF-8 multi-byte and binary elements survive raw and typed', () => {
    const t = sample('BYTES', [6]);
    const decoded = decodeRaw(header(t), encodeRaw(t), WHERE);
    const els = decoded.data as Uint8Array[];
    expect(els[1].byteLength).toBe(0);
    expect(new TextDecoder().decode(els[3])).toBe('日本語🎉');
    expect(Array.from(els[4])).toEqual([0, 255, 128, 0]);
    expectSame(decodeTyped(header(t), encodeTyped(t), WHERE), t);
  });

  test('elements are views into the wire buffer', () => {
    const raw = encodeRaw(sample('BYTES', [6]));
    const els = decodeRaw(header(sample('BYTES', [6])), raw, WHERE).data as Uint8Array[];
    expect(els[0].buffer).toBe(raw.buffer);
    expect(els[0].byteOffset).toBe(raw.byteOffset + 4);
  });

  test('decodes at an odd byteOffset', () => {
    const t = sample('BYTES', [2, 3]);
    const enc = encodeRaw(t);
    const big = Buffer.alloc(enc.byteLength + 4);
    enc.copy(big, 3);
    expectSame(decodeRaw(header(t), big.subarray(3, 3 + enc.byteLength), WHERE), t);
  });
});

describe('alignment and zero-copy', () => {
  const MULTI = DATATYPES.filter((d) => DATATYPE_INFO[d].byteSize > 1);

  test.each(MULTI)('%s at an odd byteOffset decodes to the right values (copied)', (dt) => {
    const t = sample(dt);
    const enc = encodeRaw(t);
    const big = Buffer.alloc(enc.byteLength + 8);
    enc.copy(big, 1);
    const slice = big.subarray(1, 1 + enc.byteLength);
    const decoded = decodeRaw(header(t), slice, WHERE);
    expectSame(decoded, t);
    expect((decoded.data as NumericData).buffer).not.toBe(big.buffer);
    big[1] ^= 0xff; // the copy does not see later changes to the wire buffer
    expectSame(decoded, t);
  });

  test.each(DATATYPES.filter((d) => d !== 'BYTES'))('%s aligned raw input is a view sharing memory', (dt) => {
    const t = sample(dt);
    const enc = encodeRaw(t);
    const ab = new ArrayBuffer(enc.byteLength + 16);
    const slice = new Uint8Array(ab, 8, enc.byteLength);
    slice.set(enc);
    const decoded = decodeRaw(header(t), slice, WHERE);
    const data = decoded.data as NumericData;
    expect(data.buffer).toBe(ab);
    expect(data.byteOffset).toBe(8);
    slice[0] ^= 0x01;
    expect(new Uint8Array(data.buffer, data.byteOffset, 1)[0]).toBe(slice[0]);
  });

  test('encodeRaw of numeric data is a view over the typed array', () => {
    const data = new Float32Array(new ArrayBuffer(64), 16, 4).fill(2);
    const raw = encodeRaw({ name: 'x', datatype: 'FP32', shape: [4], data });
    expect(raw.buffer).toBe(data.buffer);
    expect(raw.byteOffset).toBe(16);
    expect(raw.byteLength).toBe(16);
  });
});

describe('errors', () => {
  const fp32 = (shape: (number | bigint)[]) => ({ name: 'INPUT0', datatype: 'FP32', shape });

  test('unknown datatype', () => {
    expectError(() => decodeRaw({ name: 'INPUT0', datatype: 'FLOAT32', shape: [1] }, new Uint8Array(4), WHERE),
      'INVALID_ARGUMENT', WHERE, "'INPUT0'", "unknown datatype 'FLOAT32'");
    expectError(() => decodeTyped({ name: 'INPUT0', datatype: 'fp32', shape: [1] }, { fp32Contents: [1] }, WHERE),
      'INVALID_ARGUMENT', "unknown datatype 'fp32'");
  });

  test('negative, fractional and oversized dims', () => {
    expectError(() => decodeRaw(fp32([-1, 2]), new Uint8Array(0), WHERE), 'INVALID_ARGUMENT', "'INPUT0'", '[-1,2]', 'dim 0 is -1');
    expectError(() => decodeRaw(fp32([2n, -3n]), new Uint8Array(0), WHERE), 'INVALID_ARGUMENT', 'dim 1 is -3');
    expectError(() => decodeRaw(fp32([1.5]), new Uint8Array(0), WHERE), 'INVALID_ARGUMENT', 'dim 0 is 1.5');
    expectError(() => decodeTyped(fp32([2n ** 60n]), {}, WHERE), 'INVALID_ARGUMENT', 'dim 0 is 1152921504606846976');
  });

  test('byte-length mismatch names tensor, expected and received bytes', () => {
    const e = expectError(() => decodeRaw(fp32([2, 3]), new Uint8Array(20), WHERE), 'INVALID_ARGUMENT');
    expect(e.message).toBe(`${WHERE}: input 'INPUT0' (FP32, shape [2,3]) needs 24 bytes of raw_input_contents, got 20`);
    expectError(() => decodeRaw({ name: 'b', datatype: 'BOOL', shape: [] }, new Uint8Array(0), WHERE), 'INVALID_ARGUMENT', 'needs 1 bytes', 'got 0');
  });

  test('shape overflow and hostile shapes allocate nothing', () => {
    expectError(() => decodeRaw(fp32([2 ** 40, 2 ** 40]), new Uint8Array(0), WHERE), 'INVALID_ARGUMENT', 'too many elements');
    expectError(() => decodeTyped(fp32([2 ** 40, 2 ** 40]), {}, WHERE), 'INVALID_ARGUMENT', 'too many elements');
    expectError(() => decodeRaw(fp32([2 ** 33]), new Uint8Array(0), WHERE), 'INVALID_ARGUMENT', 'too many elements');
    expectError(() => decodeRaw({ name: 's', datatype: 'BYTES', shape: [2 ** 40, 2 ** 40] }, new Uint8Array(0), WHERE),
      'INVALID_ARGUMENT', 'too many elements');
    // Within bounds but far more than the buffer holds: rejected by size, not allocated.
    expectError(() => decodeRaw(fp32([2 ** 31]), new Uint8Array(8), WHERE), 'INVALID_ARGUMENT', `needs ${2 ** 33} bytes`, 'got 8');
    expectError(() => decodeRaw({ name: 's', datatype: 'BYTES', shape: [2 ** 31] }, Buffer.from('0100000061', 'hex'), WHERE),
      'INVALID_ARGUMENT', `needs ${2 ** 31} BYTES elements`, 'holds 1');
    // A 0 dim makes an empty tensor whatever the other dims.
    expect(decodeRaw(fp32([0, 2 ** 50]), new Uint8Array(0), WHERE).data.length).toBe(0);
  });

  test('truncated BYTES length prefix', () => {
    const raw = Buffer.from('01000000' + '61' + '0200', 'hex');
    expectError(() => decodeRaw({ name: 's', datatype: 'BYTES', shape: [2] }, raw, WHERE),
      'INVALID_ARGUMENT', WHERE, "input 's'", 'truncated BYTES element 1', 'only 2 bytes');
  });

  test('truncated BYTES body', () => {
    const raw = Buffer.from('05000000' + '6162', 'hex');
    expectError(() => decodeRaw({ name: 's', datatype: 'BYTES', shape: [1] }, raw, WHERE),
      'INVALID_ARGUMENT', 'truncated BYTES element 0', 'says 5 bytes, only 2 remain');
  });

  test('BYTES trailing bytes and too few elements', () => {
    const raw = Buffer.from('01000000' + '61' + 'ff', 'hex');
    expectError(() => decodeRaw({ name: 's', datatype: 'BYTES', shape: [1] }, raw, WHERE), 'INVALID_ARGUMENT', '1 trailing bytes');
    expectError(() => decodeRaw({ name: 's', datatype: 'BYTES', shape: [0] }, raw, WHERE), 'INVALID_ARGUMENT', '6 trailing bytes');
    expectError(() => decodeRaw({ name: 's', datatype: 'BYTES', shape: [3] }, raw.subarray(0, 5), WHERE),
      'INVALID_ARGUMENT', 'needs 3 BYTES elements, raw_input_contents holds 1');
  });

  test('element-count mismatch in typed contents', () => {
    const e = expectError(() => decodeTyped(fp32([2, 3]), { fp32Contents: [1, 2, 3, 4, 5] }, WHERE), 'INVALID_ARGUMENT');
    expect(e.message).toBe(`${WHERE}: input 'INPUT0' (FP32, shape [2,3]) needs 6 values in fp32_contents, got 5`);
    expectError(() => decodeTyped(fp32([2]), undefined, WHERE), 'INVALID_ARGUMENT', 'needs 2 values in fp32_contents, got 0');
    expectError(() => decodeTyped({ name: 's', datatype: 'BYTES', shape: [2] }, { bytesContents: [utf8('a')] }, WHERE),
      'INVALID_ARGUMENT', 'needs 2 values in bytes_contents, got 1');
  });

  test('values in the wrong contents field', () => {
    expectError(() => decodeTyped(fp32([3]), { intContents: [1, 2, 3] }, WHERE),
      'INVALID_ARGUMENT', 'travels in fp32_contents', 'int_contents holds 3 values');
    expectError(() => decodeTyped(fp32([1]), { fp32Contents: [1], fp64Contents: [2] }, WHERE),
      'INVALID_ARGUMENT', 'fp64_contents holds 1 values');
    expectError(() => decodeTyped({ name: 'x', datatype: 'INT64', shape: [1] }, { intContents: [1] }, WHERE),
      'INVALID_ARGUMENT', 'travels in int64_contents', 'int_contents');
    // Empty arrays in other fields (ts-proto fills them all) are fine.
    const all: TypedContents = { boolContents: [], intContents: [], int64Contents: [], uintContents: [], uint64Contents: [], fp32Contents: [7], fp64Contents: [], bytesContents: [] };
    expect(Array.from(decodeTyped(fp32([1]), all, WHERE).data as Float32Array)).toEqual([7]);
  });

  test.each(RAW_ONLY)('%s in typed contents', (dt) => {
    expectError(() => decodeTyped({ name: 'h', datatype: dt, shape: [1] }, { fp32Contents: [1] }, WHERE),
      'INVALID_ARGUMENT', `datatype ${dt}`, 'raw_input_contents');
    expectError(() => decodeTyped({ name: 'h', datatype: dt, shape: [1] }, { uintContents: [0x3c00] }, WHERE),
      'INVALID_ARGUMENT', 'raw_input_contents');
    const e = expectError(() => encodeTyped(sample(dt)), 'INVALID_ARGUMENT');
    expect(e.message).toBe(`output 'T_${dt}' has datatype ${dt}, which the protocol only carries in raw_output_contents`);
  });

  test('typed integers out of range or of the wrong JS type', () => {
    const one = (datatype: string, c: TypedContents) => () => decodeTyped({ name: 'i', datatype, shape: [1] }, c, WHERE);
    expectError(one('UINT8', { uintContents: [256] }), 'INVALID_ARGUMENT', 'uint_contents[0] = 256 is not a valid UINT8');
    expectError(one('INT8', { intContents: [-129] }), 'INVALID_ARGUMENT', 'not a valid INT8');
    expectError(one('INT16', { intContents: [40000] }), 'INVALID_ARGUMENT', 'not a valid INT16');
    expectError(one('INT32', { intContents: [1.5] }), 'INVALID_ARGUMENT', 'not a valid INT32');
    expectError(one('UINT16', { uintContents: [-1] }), 'INVALID_ARGUMENT', 'not a valid UINT16');
    expectError(one('UINT64', { uint64Contents: [-1n] }), 'INVALID_ARGUMENT', 'not a valid UINT64');
    expectError(one('INT64', { int64Contents: [1 as unknown as bigint] }), 'INVALID_ARGUMENT', 'wrong JS type');
    expect(Array.from(decodeTyped({ name: 'i', datatype: 'UINT16', shape: [2] }, { uintContents: [0, 65535] }, WHERE).data as Uint16Array)).toEqual([0, 65535]);
  });

  test('encoding a tensor whose data does not fit its shape is INTERNAL', () => {
    expectError(() => encodeRaw({ name: 'o', datatype: 'FP32', shape: [2, 2], data: new Float32Array(3) }), 'INTERNAL', "'o'", '[2,2]');
    expectError(() => encodeTyped({ name: 'o', datatype: 'BYTES', shape: [2], data: [] }), 'INTERNAL');
  });
});

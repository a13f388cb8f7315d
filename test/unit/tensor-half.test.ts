// Tests for src/tensor/half.ts: FP16/BF16 bit patterns, rounding to nearest even, NaN/Inf/subnormals/-0.

import { bf16BitsToFp32, fp16BitsToFp32, fp32ToBf16Bits, fp32ToFp16Bits } from '../../src/tensor/half';

describe('fp16', () => {
  test('known bit patterns', () => {
    const cases: [number, number][] = [
      [1, 0x3c00], [-2, 0xc000], [0.5, 0x3800], [0, 0x0000], [-0, 0x8000],
      [65504, 0x7bff], [-65504, 0xfbff], [Infinity, 0x7c00], [-Infinity, 0xfc00],
      [2 ** -14, 0x0400], // smallest normal
      [2 ** -24, 0x0001], // smallest subnormal
      [2 ** -14 - 2 ** -24, 0x03ff], // largest subnormal
      [0.333251953125, 0x3555],
    ];
    for (const [x, bits] of cases) {
      expect(fp32ToFp16Bits(x)).toBe(bits);
      expect(Object.is(fp16BitsToFp32(bits), x)).toBe(true);
    }
  });

  test('NaN', () => {
    const bits = fp32ToFp16Bits(NaN);
    expect(bits & 0x7c00).toBe(0x7c00);
    expect(bits & 0x3ff).not.toBe(0);
    expect(fp16BitsToFp32(0x7e00)).toBeNaN();
    expect(fp16BitsToFp32(0xfc01)).toBeNaN();
  });

  test('rounding to nearest even, overflow and underflow', () => {
    expect(fp32ToFp16Bits(1 + 2 ** -11)).toBe(0x3c00); // tie → even (down)
    expect(fp32ToFp16Bits(1 + 3 * 2 ** -11)).toBe(0x3c02); // tie → even (up)
    expect(fp32ToFp16Bits(1 + 2 ** -11 + 2 ** -20)).toBe(0x3c01); // above tie → up
    expect(fp32ToFp16Bits(65519)).toBe(0x7bff); // below the halfway to 65536
    expect(fp32ToFp16Bits(65520)).toBe(0x7c00); // tie rounds to even: Inf
    expect(fp32ToFp16Bits(1e10)).toBe(0x7c00);
    expect(fp32ToFp16Bits(-1e10)).toBe(0xfc00);
    expect(fp32ToFp16Bits(2 ** -25)).toBe(0x0000); // tie between 0 and smallest subnormal → 0
    expect(fp32ToFp16Bits(2 ** -25 + 2 ** -35)).toBe(0x0001);
    expect(fp32ToFp16Bits(3 * 2 ** -25)).toBe(0x0002); // tie between 1 and 2 subnormal units → 2
    expect(fp32ToFp16Bits(-(2 ** -30))).toBe(0x8000);
    expect(fp32ToFp16Bits(1e-45)).toBe(0x0000); // float32 subnormal
    expect(fp32ToFp16Bits(2 ** -14 - 2 ** -25)).toBe(0x0400); // rounds up into the smallest normal
  });

  test('every fp16 pattern round-trips through number', () => {
    const wrong: number[] = [];
    for (let h = 0; h < 0x10000; h++) {
      const x = fp16BitsToFp32(h);
      if (!Number.isNaN(x) && fp32ToFp16Bits(x) !== h) wrong.push(h);
    }
    expect(wrong).toEqual([]);
  });
});

describe('bf16', () => {
  test('known bit patterns', () => {
    const cases: [number, number][] = [
      [1, 0x3f80], [-2, 0xc000], [0, 0x0000], [-0, 0x8000], [Infinity, 0x7f80], [-Infinity, 0xff80],
      [3.3895313892515355e38, 0x7f7f], // max
      [2 ** -126, 0x0080], // smallest normal
      [2 ** -133, 0x0001], // smallest subnormal
    ];
    for (const [x, bits] of cases) {
      expect(fp32ToBf16Bits(x)).toBe(bits);
      expect(Object.is(bf16BitsToFp32(bits), x)).toBe(true);
    }
  });

  test('NaN, rounding and overflow', () => {
    const bits = fp32ToBf16Bits(NaN);
    expect(bits & 0x7f80).toBe(0x7f80);
    expect(bits & 0x7f).not.toBe(0);
    expect(bf16BitsToFp32(0x7fc0)).toBeNaN();
    expect(fp32ToBf16Bits(1 + 2 ** -8)).toBe(0x3f80); // tie → even (down)
    expect(fp32ToBf16Bits(1 + 3 * 2 ** -8)).toBe(0x3f82); // tie → even (up)
    expect(fp32ToBf16Bits(1 + 2 ** -8 + 2 ** -12)).toBe(0x3f81);
    expect(fp32ToBf16Bits(3.4028234663852886e38)).toBe(0x7f80); // float32 max rounds to Inf
    expect(fp32ToBf16Bits(-3.4028234663852886e38)).toBe(0xff80);
  });

  test('every non-NaN bf16 pattern round-trips', () => {
    const wrong: number[] = [];
    for (let h = 0; h < 0x10000; h++) {
      const x = bf16BitsToFp32(h);
      if (!Number.isNaN(x) && fp32ToBf16Bits(x) !== h) wrong.push(h);
    }
    expect(wrong).toEqual([]);
  });
});

// Scalar conversions between JS numbers and the 16-bit float bit patterns that FP16 (IEEE binary16) and BF16
// (bfloat16) tensors hold in their Uint16Arrays. Round-to-nearest-even; NaN, ±Inf, subnormals and -0 kept.
// The fp32* functions first round their argument to float32 (Math.fround), as their names say.

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

function float32Bits(x: number): number {
  f32[0] = x;
  return u32[0];
}

/** float32 → binary16 bits. Overflow gives ±Inf, tiny values round to (signed) zero or a subnormal. */
export function fp32ToFp16Bits(x: number): number {
  const b = float32Bits(x);
  const sign = (b >>> 16) & 0x8000;
  const exp = (b >>> 23) & 0xff;
  const mant = b & 0x7fffff;
  if (exp === 0xff) return sign | 0x7c00 | (mant !== 0 ? 0x200 | (mant >>> 13) : 0); // Inf, or a quiet NaN
  const e = exp - 127 + 15;
  if (e >= 0x1f) return sign | 0x7c00;
  if (e <= 0) {
    if (e < -10) return sign; // below half the smallest subnormal: rounds to zero
    const m = mant | 0x800000; // float32 subnormals (exp 0) returned above, so the implicit 1 is right
    const shift = 14 - e;
    let h = m >>> shift;
    const rem = m & ((1 << shift) - 1);
    const halfway = 1 << (shift - 1);
    if (rem > halfway || (rem === halfway && (h & 1) !== 0)) h++; // may carry into the smallest normal: correct
    return sign | h;
  }
  let h = (e << 10) | (mant >>> 13);
  const rem = mant & 0x1fff;
  if (rem > 0x1000 || (rem === 0x1000 && (h & 1) !== 0)) h++; // may carry into the exponent, up to Inf: correct
  return sign | h;
}

/** binary16 bits → number (exact). */
export function fp16BitsToFp32(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >>> 10) & 0x1f;
  const mant = h & 0x3ff;
  if (exp === 0) return sign * mant * 2 ** -24;
  if (exp === 0x1f) return mant !== 0 ? NaN : sign * Infinity;
  return sign * (1 + mant / 1024) * 2 ** (exp - 15);
}

/** float32 → bfloat16 bits (the top 16 bits of float32, rounded to nearest even). */
export function fp32ToBf16Bits(x: number): number {
  const b = float32Bits(x);
  if ((b & 0x7f800000) === 0x7f800000 && (b & 0x7fffff) !== 0) return (b >>> 16) | 0x40; // quiet NaN
  return Math.floor((b + 0x7fff + ((b >>> 16) & 1)) / 0x10000) & 0xffff;
}

/** bfloat16 bits → number (exact). */
export function bf16BitsToFp32(h: number): number {
  u32[0] = (h & 0xffff) * 0x10000;
  return f32[0];
}

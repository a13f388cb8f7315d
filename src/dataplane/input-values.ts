// Applies a model's input value policy (config/input-policy.ts) to a validated request: refuses NaN/±Inf in float
// inputs when asked, and refuses — or clamps in place — values outside an input's declared range. NaN is outside
// every range, so it is refused even in clamp mode. Messages name the model, the input, the element index, the
// value and the rule.

import type { InputPolicy, ValueRange } from '../config/input-policy';
import { invalidArgument } from '../errors';
import { bf16BitsToFp32, fp16BitsToFp32, fp32ToBf16Bits, fp32ToFp16Bits } from '../tensor/half';
import type { Tensor } from '../tensor/tensor';

const FLOATS = new Set(['FP16', 'BF16', 'FP32', 'FP64']);

/** Reads and writes element i of a numeric tensor as a JS number (FP16/BF16 through their bit patterns). */
function accessor(t: Tensor): { get(i: number): number; set(i: number, v: number): void; length: number } | null {
  const d = t.data;
  if (Array.isArray(d) || t.datatype === 'BOOL') return null;
  if (t.datatype === 'FP16') {
    const u = d as Uint16Array;
    return { get: (i) => fp16BitsToFp32(u[i]), set: (i, v) => (u[i] = fp32ToFp16Bits(v)), length: u.length };
  }
  if (t.datatype === 'BF16') {
    const u = d as Uint16Array;
    return { get: (i) => bf16BitsToFp32(u[i]), set: (i, v) => (u[i] = fp32ToBf16Bits(v)), length: u.length };
  }
  if (d instanceof BigInt64Array || d instanceof BigUint64Array) {
    return { get: (i) => Number(d[i]), set: (i, v) => (d[i] = BigInt(v)), length: d.length };
  }
  const n = d as Exclude<typeof d, BigInt64Array | BigUint64Array>;
  return { get: (i) => n[i], set: (i, v) => (n[i] = v), length: n.length };
}

export function applyInputPolicy(where: string, policy: InputPolicy, inputs: readonly Tensor[]): void {
  for (const t of inputs) {
    const range = policy.ranges.get(t.name);
    const checkFinite = policy.rejectNonFinite && FLOATS.has(t.datatype);
    if (!range && !checkFinite) continue;
    const a = accessor(t);
    if (!a) continue;
    const label = `${where}: input '${t.name}'`;
    for (let i = 0; i < a.length; i++) {
      const v = a.get(i);
      if (checkFinite && !Number.isFinite(v)) {
        throw invalidArgument(`${label}[${i}] is ${v}; this model refuses NaN and infinite inputs (input_reject_nonfinite)`);
      }
      if (range && !(v >= range.min && v <= range.max)) clampOrRefuse(label, i, v, range, policy, a, t);
    }
  }
}

function clampOrRefuse(
  label: string,
  i: number,
  v: number,
  range: ValueRange,
  policy: InputPolicy,
  a: { set(i: number, v: number): void },
  t: Tensor,
): void {
  if (policy.action === 'reject' || Number.isNaN(v)) {
    throw invalidArgument(`${label}[${i}] = ${v} is outside the declared range ${range.text} (input_range)`);
  }
  const integer = !FLOATS.has(t.datatype);
  const lo = integer ? Math.ceil(range.min) : range.min;
  const hi = integer ? Math.floor(range.max) : range.max;
  a.set(i, v < lo ? lo : hi);
}

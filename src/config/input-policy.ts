// A model's input value policy, read from its config.pbtxt `parameters` (all optional):
//   input_reject_nonfinite: "true"      refuse NaN and ±Inf in FP16, BF16, FP32 and FP64 inputs
//   input_range: "-1:1"                  declared range of every numeric input ("" or no bound: "-1:", ":1")
//   input_range.<input name>: "0:255"    range of one input (overrides input_range)
//   input_range_action: "reject"|"clamp" what to do with values outside the range (default reject)
// Parsed once per completed config (cached); a malformed policy fails the model's load with a clear reason.

import type { ModelConfig } from './model-config';

export interface ValueRange {
  min: number;
  max: number;
  /** The text from the config, for messages. */
  text: string;
}

export interface InputPolicy {
  rejectNonFinite: boolean;
  /** Per input name. */
  ranges: Map<string, ValueRange>;
  action: 'reject' | 'clamp';
}

const cache = new WeakMap<ModelConfig, InputPolicy | null>();

function parseRange(model: string, key: string, text: string): ValueRange {
  const m = /^\s*([^:]*):([^:]*)$/.exec(text);
  const bound = (s: string, missing: number): number => (s.trim() === '' ? missing : Number(s));
  const min = m ? bound(m[1], -Infinity) : NaN;
  const max = m ? bound(m[2], Infinity) : NaN;
  if (Number.isNaN(min) || Number.isNaN(max) || min > max) {
    throw new Error(`model '${model}': parameter ${key} = '${text}' is not a range; write '<min>:<max>', e.g. '-1:1'`);
  }
  return { min, max, text: `[${m![1].trim() || '-inf'}, ${m![2].trim() || 'inf'}]` };
}

/** The policy of a completed config, or null when it sets none. Throws on a malformed policy. */
export function inputPolicyOf(config: ModelConfig): InputPolicy | null {
  const cached = cache.get(config);
  if (cached !== undefined) return cached;
  const p = config.parameters;
  const model = config.name;
  const nonFinite = p.input_reject_nonfinite;
  if (nonFinite !== undefined && nonFinite !== 'true' && nonFinite !== 'false') {
    throw new Error(`model '${model}': parameter input_reject_nonfinite must be 'true' or 'false', got '${nonFinite}'`);
  }
  const action = p.input_range_action ?? 'reject';
  if (action !== 'reject' && action !== 'clamp') {
    throw new Error(`model '${model}': parameter input_range_action must be 'reject' or 'clamp', got '${action}'`);
  }
  const ranges = new Map<string, ValueRange>();
  const all = p.input_range !== undefined ? parseRange(model, 'input_range', p.input_range) : null;
  for (const input of config.input) {
    const key = `input_range.${input.name}`;
    const own = p[key] !== undefined ? parseRange(model, key, p[key]) : all;
    if (own) ranges.set(input.name, own);
  }
  for (const key of Object.keys(p)) {
    const name = key.startsWith('input_range.') ? key.slice('input_range.'.length) : null;
    if (name !== null && !config.input.some((i) => i.name === name)) {
      throw new Error(`model '${model}': parameter ${key} names no input of the model`);
    }
  }
  const policy: InputPolicy | null =
    nonFinite === 'true' || ranges.size > 0
      ? { rejectNonFinite: nonFinite === 'true', ranges, action: action as InputPolicy['action'] }
      : null;
  cache.set(config, policy);
  return policy;
}

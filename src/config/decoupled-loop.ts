// The iterative loop of a decoupled model, declared in config.pbtxt with Triton-parseable `parameters` entries
// (keys `loop.*`, see LOOP_KEYS) and checked against the completed config (the ONNX signature) at load. The
// data plane runs it: each step is one execution; outputs named in `feedback` become the next step's inputs.

import type { Datatype } from '../tensor/datatypes';
import type { TensorConfig } from './model-config';

/** The `parameters` keys that declare a decoupled model's loop. */
export const LOOP_KEYS = {
  /** Required. Comma-separated `OUTPUT:INPUT` pairs: OUTPUT of one step is INPUT of the next. */
  feedback: 'loop.feedback',
  /** Comma-separated outputs sent after every step (default: every output). A request's `outputs` narrows it. */
  streamOutputs: 'loop.stream_outputs',
  /** Request parameter that sets the step limit (default `max_tokens`). */
  maxStepsParameter: 'loop.max_steps_parameter',
  /** Step limit when the request does not set it (default 64). */
  maxStepsDefault: 'loop.max_steps_default',
  /** Largest step limit a request may ask for (default 4096). */
  maxStepsLimit: 'loop.max_steps_limit',
  /** Output compared with `loop.stop_value` after every step; the loop stops when every element equals it. */
  stopOutput: 'loop.stop_output',
  /** The stop value, read as the stop output's datatype (number, true/false, or text for BYTES). */
  stopValue: 'loop.stop_value',
} as const;

export interface LoopFeedback {
  output: string;
  input: string;
}

export interface LoopStop {
  output: string;
  /** Numeric datatypes compare as numbers (bigint for 64-bit integers), BOOL as boolean, BYTES as UTF-8 text. */
  value: number | bigint | boolean | string;
}

export interface DecoupledLoop {
  feedback: LoopFeedback[];
  streamOutputs: string[];
  maxStepsParameter: string;
  maxStepsDefault: number;
  maxStepsLimit: number;
  stop: LoopStop | null;
  /** Feedback inputs a first request may leave out: fixed dims, they start as zeros. */
  zeroInitInputs: string[];
}

const names = (list: readonly { name: string }[]): string => list.map((t) => `'${t.name}'`).join(', ');

function list(value: string | undefined): string[] {
  if (value === undefined) return [];
  return value
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
}

function positiveInt(key: string, value: string | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  const n = Number(value.trim());
  if (!/^[0-9]+$/.test(value.trim()) || !Number.isSafeInteger(n) || n < 1) {
    throw new Error(`parameter '${key}' must be a positive integer, got '${value}'`);
  }
  return n;
}

function stopValue(key: string, text: string, datatype: Datatype): LoopStop['value'] {
  const t = text.trim();
  const fail = (what: string): never => {
    throw new Error(`parameter '${key}' must be ${what} for a ${datatype} stop output, got '${text}'`);
  };
  switch (datatype) {
    case 'BYTES':
      return text;
    case 'BOOL':
      if (t !== 'true' && t !== 'false') fail('true or false');
      return t === 'true';
    case 'INT64':
    case 'UINT64':
      if (!/^-?[0-9]+$/.test(t)) fail('an integer');
      return BigInt(t);
    case 'FP16':
    case 'BF16':
    case 'FP32':
    case 'FP64':
      if (t === '' || !Number.isFinite(Number(t))) fail('a number');
      return Number(t);
    default:
      if (!/^-?[0-9]+$/.test(t)) fail('an integer');
      return Number(t);
  }
}

function sameDims(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i] || d === -1 || b[i] === -1);
}

/**
 * The loop a config declares, checked against its inputs and outputs; null for a model that is not decoupled.
 * Throws an Error naming the parameter and tensor when the declaration cannot run on this model.
 */
export function resolveDecoupledLoop(
  decoupled: boolean,
  parameters: Record<string, string>,
  input: readonly TensorConfig[],
  output: readonly TensorConfig[],
): DecoupledLoop | null {
  const given = Object.keys(parameters).filter((k) => k.startsWith('loop.'));
  const known = Object.values(LOOP_KEYS) as string[];
  const unknown = given.find((k) => !known.includes(k));
  if (unknown !== undefined) throw new Error(`unknown parameter '${unknown}' (loop parameters: ${known.join(', ')})`);
  if (!decoupled) {
    if (given.length > 0) {
      throw new Error(`parameter '${given[0]}' declares a decoupled loop: it needs model_transaction_policy { decoupled: true }`);
    }
    return null;
  }
  const pairs = list(parameters[LOOP_KEYS.feedback]);
  if (pairs.length === 0) {
    throw new Error(
      `model_transaction_policy { decoupled: true } needs parameter '${LOOP_KEYS.feedback}' ` +
        `("OUTPUT:INPUT,…": which outputs feed which inputs at the next step)`,
    );
  }
  const findOutput = (name: string, key: string): TensorConfig => {
    const t = output.find((o) => o.name === name);
    if (!t) throw new Error(`parameter '${key}' names output '${name}', which the model does not have (outputs: ${names(output)})`);
    return t;
  };
  const feedback: LoopFeedback[] = pairs.map((pair) => {
    const m = /^([^:\s]+)\s*:\s*([^:\s]+)$/.exec(pair);
    if (!m) throw new Error(`parameter '${LOOP_KEYS.feedback}': '${pair}' is not OUTPUT:INPUT`);
    const out = findOutput(m[1], LOOP_KEYS.feedback);
    const inp = input.find((i) => i.name === m[2]);
    if (!inp) {
      throw new Error(`parameter '${LOOP_KEYS.feedback}' names input '${m[2]}', which the model does not have (inputs: ${names(input)})`);
    }
    if (out.datatype !== inp.datatype) {
      throw new Error(
        `parameter '${LOOP_KEYS.feedback}': output '${out.name}' is ${out.datatype} but input '${inp.name}' is ${inp.datatype}`,
      );
    }
    if (!sameDims(out.dims, inp.dims)) {
      throw new Error(
        `parameter '${LOOP_KEYS.feedback}': output '${out.name}' dims [${out.dims.join(', ')}] cannot feed ` +
          `input '${inp.name}' dims [${inp.dims.join(', ')}]`,
      );
    }
    return { output: out.name, input: inp.name };
  });
  const fedInputs = feedback.map((f) => f.input);
  const twice = fedInputs.find((n, i) => fedInputs.indexOf(n) !== i);
  if (twice !== undefined) throw new Error(`parameter '${LOOP_KEYS.feedback}' feeds input '${twice}' twice`);

  const streamList = list(parameters[LOOP_KEYS.streamOutputs]);
  for (const name of streamList) findOutput(name, LOOP_KEYS.streamOutputs);
  const streamOutputs = streamList.length > 0 ? streamList : output.map((o) => o.name);

  const maxStepsDefault = positiveInt(LOOP_KEYS.maxStepsDefault, parameters[LOOP_KEYS.maxStepsDefault], 64);
  const maxStepsLimit = positiveInt(LOOP_KEYS.maxStepsLimit, parameters[LOOP_KEYS.maxStepsLimit], 4096);
  if (maxStepsDefault > maxStepsLimit) {
    throw new Error(`parameter '${LOOP_KEYS.maxStepsDefault}' (${maxStepsDefault}) exceeds '${LOOP_KEYS.maxStepsLimit}' (${maxStepsLimit})`);
  }
  const maxStepsParameter = (parameters[LOOP_KEYS.maxStepsParameter] ?? 'max_tokens').trim();
  if (maxStepsParameter === '') throw new Error(`parameter '${LOOP_KEYS.maxStepsParameter}' must not be empty`);

  const stopName = parameters[LOOP_KEYS.stopOutput]?.trim();
  const stopText = parameters[LOOP_KEYS.stopValue];
  if ((stopName === undefined) !== (stopText === undefined)) {
    throw new Error(`parameters '${LOOP_KEYS.stopOutput}' and '${LOOP_KEYS.stopValue}' go together: give both or neither`);
  }
  let stop: LoopStop | null = null;
  if (stopName !== undefined && stopText !== undefined) {
    const out = findOutput(stopName, LOOP_KEYS.stopOutput);
    stop = { output: out.name, value: stopValue(LOOP_KEYS.stopValue, stopText, out.datatype) };
  }
  const zeroInitInputs = feedback
    .map((f) => input.find((i) => i.name === f.input) as TensorConfig)
    .filter((i) => i.datatype !== 'BYTES' && i.dims.every((d) => d >= 1))
    .map((i) => i.name);
  return { feedback, streamOutputs, maxStepsParameter, maxStepsDefault, maxStepsLimit, stop, zeroInitInputs };
}

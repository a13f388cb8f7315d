// Checks an inference request against the model version's config before it is queued: input names, datatypes
// and shapes, one batch size across inputs, and requested outputs. Every message names the model, version and
// tensor with what was expected and what was received.

import type { ModelConfig } from '../config/model-config';
import { invalidArgument } from '../errors';
import { checkInputShape } from '../tensor/shape';
import type { InferRequest } from './types';

export interface ValidatedRequest {
  /** Output names to compute, in the order the response lists them (shared: never changed). */
  outputs: readonly string[];
  /** Batch rows (first dim) for a batching model; 1 otherwise. */
  rows: number;
}

const names = (list: readonly { name: string }[]): string => list.map((t) => `'${t.name}'`).join(', ');

/** The entry of `list` called `name` (a loop: no closure per call on the request path). */
function named<T extends { name: string }>(list: readonly T[], name: string): T | undefined {
  for (const t of list) if (t.name === name) return t;
  return undefined;
}

const isMissing = (spec: { name: string; optional: boolean }, inputs: readonly { name: string }[]): boolean =>
  !spec.optional && named(inputs, spec.name) === undefined;

/** Every output of a config, in config order: what a request that names no outputs gets (made once per config). */
const allOutputs = new WeakMap<ModelConfig, readonly string[]>();

function configOutputs(config: ModelConfig): readonly string[] {
  let list = allOutputs.get(config);
  if (!list) {
    list = Object.freeze(config.output.map((o) => o.name));
    allOutputs.set(config, list);
  }
  return list;
}

// Runs for every request: it builds no set, list or closure unless a check fails (models have a handful of inputs).
export function validateRequest(where: string, config: ModelConfig, req: InferRequest): ValidatedRequest {
  let rows = 1;
  let rowsFrom = '';
  const inputs = req.inputs;
  for (let k = 0; k < inputs.length; k++) {
    const input = inputs[k];
    for (let j = 0; j < k; j++) {
      if (inputs[j].name === input.name) throw invalidArgument(`${where}: input '${input.name}' is given more than once`);
    }
    const spec = named(config.input, input.name);
    if (!spec) {
      throw invalidArgument(`${where}: unexpected input '${input.name}'; the model's inputs are ${names(config.input)}`);
    }
    if (input.datatype !== spec.datatype) {
      throw invalidArgument(
        `${where}: input '${input.name}' has datatype ${input.datatype}, the model expects ${spec.datatype}`,
      );
    }
    checkInputShape(where, input.name, spec.dims, config.maxBatchSize, input.shape);
    if (config.maxBatchSize > 0) {
      const batch = input.shape[0];
      if (rowsFrom && batch !== rows) {
        throw invalidArgument(
          `${where}: inputs disagree on the batch size: '${rowsFrom}' has ${rows}, '${input.name}' has ${batch}`,
        );
      }
      rows = batch;
      rowsFrom = input.name;
    }
  }
  for (const spec of config.input) {
    if (!isMissing(spec, inputs)) continue;
    const missing = config.input.filter((s) => isMissing(s, inputs));
    throw invalidArgument(`${where}: missing input ${names(missing)} (the model needs ${names(config.input)})`);
  }
  if (req.outputs.length === 0) return { outputs: configOutputs(config), rows };
  const outputs: string[] = [];
  for (const o of req.outputs) {
    if (!named(config.output, o.name)) {
      throw invalidArgument(
        `${where}: unknown requested output '${o.name}'; the model's outputs are ${names(config.output)}`,
      );
    }
    if (outputs.includes(o.name)) throw invalidArgument(`${where}: output '${o.name}' is requested more than once`);
    outputs.push(o.name);
  }
  return { outputs, rows };
}

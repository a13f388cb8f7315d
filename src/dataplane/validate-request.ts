// Checks an inference request against the model version's config before it is queued: input names, datatypes
// and shapes, one batch size across inputs, and requested outputs. Every message names the model, version and
// tensor with what was expected and what was received.

import type { ModelConfig } from '../config/model-config';
import { invalidArgument } from '../errors';
import { checkInputShape } from '../tensor/shape';
import type { InferRequest } from './types';

export interface ValidatedRequest {
  /** Output names to compute, in the order the response lists them. */
  outputs: string[];
  /** Batch rows (first dim) for a batching model; 1 otherwise. */
  rows: number;
}

const names = (list: readonly { name: string }[]): string => list.map((t) => `'${t.name}'`).join(', ');

export function validateRequest(where: string, config: ModelConfig, req: InferRequest): ValidatedRequest {
  const seen = new Set<string>();
  let rows = 1;
  let rowsFrom = '';
  for (const input of req.inputs) {
    if (seen.has(input.name)) throw invalidArgument(`${where}: input '${input.name}' is given more than once`);
    seen.add(input.name);
    const spec = config.input.find((i) => i.name === input.name);
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
  const missing = config.input.filter((i) => !i.optional && !seen.has(i.name));
  if (missing.length > 0) {
    throw invalidArgument(`${where}: missing input ${names(missing)} (the model needs ${names(config.input)})`);
  }
  if (req.outputs.length === 0) return { outputs: config.output.map((o) => o.name), rows };
  const outputs: string[] = [];
  for (const o of req.outputs) {
    if (!config.output.some((c) => c.name === o.name)) {
      throw invalidArgument(
        `${where}: unknown requested output '${o.name}'; the model's outputs are ${names(config.output)}`,
      );
    }
    if (outputs.includes(o.name)) throw invalidArgument(`${where}: output '${o.name}' is requested more than once`);
    outputs.push(o.name);
  }
  return { outputs, rows };
}

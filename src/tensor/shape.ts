// Tensor shapes: validating wire dims (number or bigint) into concrete number[] shapes, a bounded element
// count that a hostile shape cannot overflow, checking a request shape against the model config's dims
// (with -1 wildcards and the batch dim), and the pieces of messages: shapes as "[2,15]", which request and input.

import { invalidArgument } from '../errors';

/** Largest element count a tensor may have (4 Gi elements; gRPC messages top out at 2 GiB anyway). */
export const MAX_ELEMENTS = 2 ** 32;

/** "[2,15]"; "[]" for a scalar. */
export function formatShape(shape: readonly (number | bigint)[]): string {
  return `[${shape.join(',')}]`;
}

/** The `where` of a request's messages: "model 'm'", or "model 'm' version 1" when the request names a version. */
export function requestWhere(modelName: string, modelVersion: string): string {
  return `model '${modelName}'${modelVersion ? ` version ${modelVersion}` : ''}`;
}

/** "model 'm' version 1: " from a `where`, or "" when there is none. */
export function prefix(where: string): string {
  return where ? `${where}: ` : '';
}

/** "model 'm' version 1: input 'x' (FP32, shape [2,3])", for messages (callers build it only when one needs it). */
export function inputLabel(where: string, name: string, datatype: string, shape: readonly (number | bigint)[]): string {
  return `${prefix(where)}input '${name}' (${datatype}, shape ${formatShape(shape)})`;
}

/** Wire dims → number[]: each dim must be a non-negative safe integer, else INVALID_ARGUMENT. */
export function toShape(where: string, tensorName: string, dims: readonly (number | bigint)[]): number[] {
  const shape = new Array<number>(dims.length);
  for (let i = 0; i < dims.length; i++) {
    const d = dims[i];
    const n = typeof d === 'bigint' && d >= 0n && d <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(d) : d;
    if (typeof n !== 'number' || !Number.isSafeInteger(n) || n < 0) {
      throw invalidArgument(
        `${prefix(where)}tensor '${tensorName}' has invalid shape ${formatShape(dims)}: ` +
          `dim ${i} is ${String(d)}, dims must be non-negative integers`,
      );
    }
    shape[i] = n;
  }
  return shape;
}

/**
 * Element count of a validated shape; INVALID_ARGUMENT when it would exceed MAX_ELEMENTS (which also keeps
 * the product far below Number.MAX_SAFE_INTEGER). A shape with a 0 dim has 0 elements whatever the others.
 */
export function checkedElementCount(where: string, tensorName: string, shape: readonly number[]): number {
  if (shape.includes(0)) return 0;
  let n = 1;
  for (const d of shape) {
    n *= d;
    if (n > MAX_ELEMENTS) {
      throw invalidArgument(
        `${prefix(where)}tensor '${tensorName}' shape ${formatShape(shape)} has too many elements ` +
          `(more than ${MAX_ELEMENTS})`,
      );
    }
  }
  return n;
}

/**
 * Checks a request shape against the config's dims. With maxBatchSize > 0 the shape is [batch, ...dims] with
 * 1 ≤ batch ≤ maxBatchSize; -1 in configDims matches any size. Throws INVALID_ARGUMENT like
 * "input 'x' shape: expected [-1,16] (batch ≤ 8), got [2,15]: dim 1 is 15, not 16".
 */
export function checkInputShape(
  where: string,
  tensorName: string,
  configDims: readonly number[],
  maxBatchSize: number,
  shape: readonly number[],
): void {
  const batched = maxBatchSize > 0;
  const expected = batched ? [-1, ...configDims] : configDims;
  const fail = (why: string): never => {
    const batch = batched ? ` (batch ≤ ${maxBatchSize})` : '';
    throw invalidArgument(
      `${prefix(where)}input '${tensorName}' shape: expected ${formatShape(expected)}${batch}, ` +
        `got ${formatShape(shape)}: ${why}`,
    );
  };
  if (shape.length !== expected.length) fail(`rank ${shape.length}, not ${expected.length}`);
  if (batched) {
    const b = shape[0];
    if (b < 1) fail(`batch size ${b}, must be at least 1`);
    if (b > maxBatchSize) fail(`batch size ${b} is over max_batch_size ${maxBatchSize}`);
  }
  for (let i = batched ? 1 : 0; i < shape.length; i++) {
    if (expected[i] !== -1 && shape[i] !== expected[i]) fail(`dim ${i} is ${shape[i]}, not ${expected[i]}`);
  }
}

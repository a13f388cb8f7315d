// inferd's own tensor type, shared by the data plane, the scheduler and the runtime.
// Numeric data lives in a typed array (zero-copy view where the wire buffer allows); BYTES data is one
// Uint8Array per element. Generated protobuf types never reach this far.

import type { Datatype } from './datatypes';

/** Typed array that backs a numeric tensor (see datatypes.ts for which datatype uses which). */
export type NumericData =
  | Uint8Array
  | Int8Array
  | Uint16Array
  | Int16Array
  | Uint32Array
  | Int32Array
  | BigUint64Array
  | BigInt64Array
  | Float32Array
  | Float64Array;

export type TensorData = NumericData | Uint8Array[];

export interface Tensor {
  name: string;
  datatype: Datatype;
  /** Concrete dims, each a non-negative safe integer. [] is a scalar. */
  shape: number[];
  /** Numeric: typed array of elementCount(shape) elements. BYTES: array of elementCount(shape) elements. */
  data: TensorData;
}

export function elementCount(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

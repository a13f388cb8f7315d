// The OIP datatype table: one row per datatype with its element size, backing typed array, the typed
// `contents` field that carries it, the onnxruntime tensor type and the Triton model-config name; plus the
// TypedContents shape of InferTensorContents and a typed-array view helper shared by the codec.

import type { NumericData } from './tensor';

export const DATATYPES = [
  'BOOL', 'UINT8', 'UINT16', 'UINT32', 'UINT64', 'INT8', 'INT16', 'INT32', 'INT64',
  'FP16', 'BF16', 'FP32', 'FP64', 'BYTES',
] as const;
export type Datatype = (typeof DATATYPES)[number];

/** Field of InferTensorContents that carries a datatype in typed form (null: raw only, as the spec says). */
export type ContentsField =
  | 'boolContents'
  | 'intContents'
  | 'int64Contents'
  | 'uintContents'
  | 'uint64Contents'
  | 'fp32Contents'
  | 'fp64Contents'
  | 'bytesContents';

/**
 * InferTensorContents as ts-proto decodes it (camelCase, forceLong=bigint, env=node), all fields optional, so
 * the transport can pass generated objects straight in without src/tensor importing generated code.
 */
export interface TypedContents {
  boolContents?: boolean[];
  intContents?: number[];
  int64Contents?: bigint[];
  uintContents?: number[];
  uint64Contents?: bigint[];
  fp32Contents?: number[];
  fp64Contents?: number[];
  bytesContents?: Uint8Array[];
}

export const CONTENTS_FIELDS: readonly ContentsField[] = [
  'boolContents', 'intContents', 'int64Contents', 'uintContents', 'uint64Contents', 'fp32Contents',
  'fp64Contents', 'bytesContents',
];

/** `fp32Contents` → `fp32_contents`, the name users know from the .proto. */
export function contentsProtoName(field: ContentsField): string {
  return field.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
}

export type TypedArrayConstructor =
  | Uint8ArrayConstructor
  | Int8ArrayConstructor
  | Uint16ArrayConstructor
  | Int16ArrayConstructor
  | Uint32ArrayConstructor
  | Int32ArrayConstructor
  | BigUint64ArrayConstructor
  | BigInt64ArrayConstructor
  | Float32ArrayConstructor
  | Float64ArrayConstructor;

export interface DatatypeInfo {
  /** Bytes per element on the wire; 0 for BYTES (variable). */
  byteSize: number;
  /** Typed array that holds the elements (bit patterns for FP16/BF16, 0/1 bytes for BOOL); null for BYTES. */
  array: TypedArrayConstructor | null;
  contents: ContentsField | null;
  /** onnxruntime-node tensor type; null where the JS binding has none (BF16). */
  ort: string | null;
  /** Triton model configuration name (config.pbtxt `data_type`). */
  config: string;
  /** ONNX TensorProto.DataType number. */
  onnx: number;
}

export const DATATYPE_INFO: Record<Datatype, DatatypeInfo> = {
  BOOL: { byteSize: 1, array: Uint8Array, contents: 'boolContents', ort: 'bool', config: 'TYPE_BOOL', onnx: 9 },
  UINT8: { byteSize: 1, array: Uint8Array, contents: 'uintContents', ort: 'uint8', config: 'TYPE_UINT8', onnx: 2 },
  UINT16: { byteSize: 2, array: Uint16Array, contents: 'uintContents', ort: 'uint16', config: 'TYPE_UINT16', onnx: 4 },
  UINT32: { byteSize: 4, array: Uint32Array, contents: 'uintContents', ort: 'uint32', config: 'TYPE_UINT32', onnx: 12 },
  UINT64: { byteSize: 8, array: BigUint64Array, contents: 'uint64Contents', ort: 'uint64', config: 'TYPE_UINT64', onnx: 13 },
  INT8: { byteSize: 1, array: Int8Array, contents: 'intContents', ort: 'int8', config: 'TYPE_INT8', onnx: 3 },
  INT16: { byteSize: 2, array: Int16Array, contents: 'intContents', ort: 'int16', config: 'TYPE_INT16', onnx: 5 },
  INT32: { byteSize: 4, array: Int32Array, contents: 'intContents', ort: 'int32', config: 'TYPE_INT32', onnx: 6 },
  INT64: { byteSize: 8, array: BigInt64Array, contents: 'int64Contents', ort: 'int64', config: 'TYPE_INT64', onnx: 7 },
  FP16: { byteSize: 2, array: Uint16Array, contents: null, ort: 'float16', config: 'TYPE_FP16', onnx: 10 },
  BF16: { byteSize: 2, array: Uint16Array, contents: null, ort: null, config: 'TYPE_BF16', onnx: 16 },
  FP32: { byteSize: 4, array: Float32Array, contents: 'fp32Contents', ort: 'float32', config: 'TYPE_FP32', onnx: 1 },
  FP64: { byteSize: 8, array: Float64Array, contents: 'fp64Contents', ort: 'float64', config: 'TYPE_FP64', onnx: 11 },
  BYTES: { byteSize: 0, array: null, contents: 'bytesContents', ort: 'string', config: 'TYPE_STRING', onnx: 8 },
};

/** A typed-array view of `length` elements over `buffer` from `byteOffset` (which must be aligned). */
export function typedView(
  ctor: TypedArrayConstructor,
  buffer: ArrayBufferLike,
  byteOffset: number,
  length: number,
): NumericData {
  return new (ctor as new (b: ArrayBufferLike, o: number, n: number) => NumericData)(buffer, byteOffset, length);
}

export function isDatatype(s: string): s is Datatype {
  return Object.prototype.hasOwnProperty.call(DATATYPE_INFO, s);
}

const BY_CONFIG = new Map<string, Datatype>(DATATYPES.map((d) => [DATATYPE_INFO[d].config, d]));
const BY_ORT = new Map<string, Datatype>(
  DATATYPES.filter((d) => DATATYPE_INFO[d].ort !== null).map((d) => [DATATYPE_INFO[d].ort as string, d]),
);

/** `TYPE_FP32` → `FP32` (config.pbtxt `data_type`). */
export function datatypeFromConfig(name: string): Datatype | undefined {
  return BY_CONFIG.get(name);
}

/** onnxruntime type (`float32`, `string`, …) → OIP datatype. */
export function datatypeFromOrt(type: string): Datatype | undefined {
  return BY_ORT.get(type);
}

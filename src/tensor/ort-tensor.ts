// Conversion between `Tensor` and onnxruntime-node tensors, as plain { type, data, dims } shapes, without
// importing onnxruntime-node (the runtime's worker thread does that and builds `new ort.Tensor(type, data, dims)`).
// BYTES ↔ ort 'string' goes through UTF-8; BOOL is a Uint8Array both ways; FP16 is the Uint16Array of bit patterns.

import { InferError, invalidArgument } from '../errors';
import { DATATYPE_INFO, datatypeFromOrt, typedView } from './datatypes';
import { formatShape } from './shape';
import { elementCount, type NumericData, type Tensor } from './tensor';

/** What `new ort.Tensor(type, data, dims)` takes. */
export interface OrtFeed {
  type: string;
  data: NumericData | string[];
  dims: number[];
}

/** The parts of an ort.Tensor that fromOrtValue reads. */
export interface OrtValue {
  type: string;
  data: unknown;
  dims: readonly number[];
}

// fatal: onnxruntime-node string tensors carry text only, so invalid UTF-8 is refused rather than mangled to U+FFFD.
const utf8Decoder = new TextDecoder('utf-8', { fatal: true });
const utf8Encoder = new TextEncoder();

/** Tensor → ort feed. Numeric data passes through as is (no copy). */
export function toOrtFeed(t: Tensor): OrtFeed {
  const type = DATATYPE_INFO[t.datatype].ort;
  if (type === null) {
    throw invalidArgument(
      `input '${t.name}' has datatype ${t.datatype}, which onnxruntime-node cannot take: it has no bfloat16 tensors`,
    );
  }
  const dims = t.shape.slice();
  if (t.datatype !== 'BYTES') return { type, data: t.data as NumericData, dims };
  const data = (t.data as Uint8Array[]).map((e, i) => {
    if (e.includes(0)) {
      throw invalidArgument(
        `input '${t.name}' element ${i} contains a NUL byte, which onnxruntime-node string tensors cut off`,
      );
    }
    try {
      return utf8Decoder.decode(e);
    } catch {
      throw invalidArgument(
        `input '${t.name}' element ${i} is not valid UTF-8, and onnxruntime-node string tensors carry text only`,
      );
    }
  });
  return { type, data, dims };
}

/** ort output → Tensor. Numeric data is kept (or re-viewed, e.g. a Float16Array as Uint16Array) without copying where aligned. */
export function fromOrtValue(name: string, value: OrtValue): Tensor {
  const datatype = datatypeFromOrt(value.type);
  if (datatype === undefined) {
    throw new InferError('UNIMPLEMENTED', `output '${name}' has onnxruntime type '${value.type}', which has no OIP datatype`);
  }
  const shape = Array.from(value.dims);
  if (!shape.every((d) => Number.isSafeInteger(d) && d >= 0)) {
    throw new InferError('INTERNAL', `output '${name}' has invalid dims ${formatShape(shape)}`);
  }
  const count = elementCount(shape);
  const bad = (what: string): InferError =>
    new InferError('INTERNAL', `output '${name}' (${value.type}, dims ${formatShape(shape)}): ${what}`);

  if (datatype === 'BYTES') {
    const strings = value.data;
    if (!Array.isArray(strings) || strings.length !== count || !strings.every((s) => typeof s === 'string')) {
      throw bad(`expected ${count} strings`);
    }
    return { name, datatype, shape, data: strings.map((s: string) => utf8Encoder.encode(s)) };
  }
  const info = DATATYPE_INFO[datatype];
  const ctor = info.array!;
  const d = value.data;
  if (d instanceof ctor) {
    if (d.length !== count) throw bad(`data has ${d.length} elements, expected ${count}`);
    return { name, datatype, shape, data: d as NumericData };
  }
  // Another view of the right size (Float16Array for float16, or an array from another realm): re-view its bytes.
  if (ArrayBuffer.isView(d) && d.byteLength === count * info.byteSize) {
    let bytes = new Uint8Array(d.buffer, d.byteOffset, d.byteLength);
    if (bytes.byteOffset % info.byteSize !== 0) bytes = new Uint8Array(bytes);
    return { name, datatype, shape, data: typedView(ctor, bytes.buffer, bytes.byteOffset, count) };
  }
  throw bad(`data is not a ${ctor.name} of ${count} elements`);
}

// Decoding OIP request tensors into `Tensor`s: from one raw_input_contents buffer (decodeRaw) or from the
// typed InferTensorContents fields (decodeTyped). Validates datatype, shape and sizes before allocating.
//
// Raw numeric data is a zero-copy typed-array view over the wire buffer when its byteOffset is aligned to the
// element size, else one copy of the whole buffer. Raw data is little-endian, as is every platform Node runs
// on here. BYTES elements are `subarray` views into the wire buffer. BOOL is kept as bytes as sent: Triton
// reads any nonzero byte as true, and so does everything downstream (onnxruntime's bool), so nothing is
// rejected or normalised.

import { invalidArgument } from '../errors';
import {
  CONTENTS_FIELDS,
  DATATYPE_INFO,
  contentsProtoName,
  isDatatype,
  typedView,
  type ContentsField,
  type Datatype,
  type TypedContents,
} from './datatypes';
import { checkedElementCount, inputLabel, prefix, toShape } from './shape';
import type { NumericData, Tensor } from './tensor';

/** The header fields of a request input tensor (ts-proto's InferInputTensor fits). */
export interface TensorHeader {
  name: string;
  datatype: string;
  shape: readonly (number | bigint)[];
}

interface Checked {
  name: string;
  datatype: Datatype;
  shape: number[];
  count: number;
  /** Where the request is going, for messages ("model 'm' version 1"). */
  where: string;
}

const labelOf = (c: Checked): string => inputLabel(c.where, c.name, c.datatype, c.shape);

function check(input: TensorHeader, where: string): Checked {
  const { name, datatype } = input;
  if (!isDatatype(datatype)) {
    throw invalidArgument(`${prefix(where)}input '${name}' has unknown datatype '${datatype}'`);
  }
  const shape = toShape(where, name, input.shape);
  const count = checkedElementCount(where, name, shape);
  return { name, datatype, shape, count, where };
}

/** Decodes one raw_input_contents entry. */
export function decodeRaw(input: TensorHeader, raw: Uint8Array, where: string): Tensor {
  const c = check(input, where);
  const { name, datatype, shape } = c;
  if (datatype === 'BYTES') return { name, datatype, shape, data: splitBytes(c, raw) };
  const info = DATATYPE_INFO[datatype];
  const ctor = info.array!;
  const expected = c.count * info.byteSize;
  if (raw.byteLength !== expected) {
    throw invalidArgument(`${labelOf(c)} needs ${expected} bytes of raw_input_contents, got ${raw.byteLength}`);
  }
  // An unaligned view is not allowed for multi-byte typed arrays: copy once into fresh (aligned) memory.
  const bytes = raw.byteOffset % info.byteSize === 0 ? raw : new Uint8Array(raw);
  const data = typedView(ctor, bytes.buffer, bytes.byteOffset, c.count);
  return { name, datatype, shape, data };
}

/** Splits serialized BYTES (each element a 4-byte little-endian length, then that many bytes) into views. */
function splitBytes(c: Checked, raw: Uint8Array): Uint8Array[] {
  const out: Uint8Array[] = [];
  const end = raw.byteLength;
  let p = 0;
  // Bounded by both the shape's count and the buffer, so a hostile shape allocates nothing extra.
  while (p < end && out.length < c.count) {
    const i = out.length;
    if (end - p < 4) {
      throw invalidArgument(
        `${labelOf(c)}: truncated BYTES element ${i}: its 4-byte length prefix at offset ${p} has only ${end - p} bytes`,
      );
    }
    const len = (raw[p] | (raw[p + 1] << 8) | (raw[p + 2] << 16) | (raw[p + 3] << 24)) >>> 0;
    p += 4;
    if (end - p < len) {
      throw invalidArgument(
        `${labelOf(c)}: truncated BYTES element ${i}: length prefix says ${len} bytes, only ${end - p} remain`,
      );
    }
    out.push(raw.subarray(p, p + len));
    p += len;
  }
  if (out.length < c.count) {
    throw invalidArgument(`${labelOf(c)} needs ${c.count} BYTES elements, raw_input_contents holds ${out.length}`);
  }
  if (p < end) {
    throw invalidArgument(`${labelOf(c)}: ${end - p} trailing bytes after its ${c.count} BYTES elements`);
  }
  return out;
}

/** Decodes a tensor sent in the typed `contents` fields (undefined: none sent, fine for 0 elements). */
export function decodeTyped(input: TensorHeader, contents: TypedContents | undefined, where: string): Tensor {
  const c = check(input, where);
  const { name, datatype, shape, count } = c;
  const field = DATATYPE_INFO[datatype].contents;
  if (field === null) {
    throw invalidArgument(
      `${labelOf(c)}: datatype ${datatype} has no typed contents field; send it in raw_input_contents`,
    );
  }
  for (const other of CONTENTS_FIELDS) {
    const n = other === field ? 0 : contents?.[other]?.length ?? 0;
    if (n > 0) {
      throw invalidArgument(
        `${labelOf(c)}: datatype ${datatype} travels in ${contentsProtoName(field)}, ` +
          `but ${contentsProtoName(other)} holds ${n} values`,
      );
    }
  }
  const values: readonly unknown[] = contents?.[field] ?? [];
  if (values.length !== count) {
    throw invalidArgument(`${labelOf(c)} needs ${count} values in ${contentsProtoName(field)}, got ${values.length}`);
  }
  return { name, datatype, shape, data: typedData(c, field, values) };
}

function typedData(c: Checked, field: ContentsField, values: readonly unknown[]): Tensor['data'] {
  const dt = c.datatype;
  const fieldName = contentsProtoName(field);
  if (dt === 'BYTES') {
    values.forEach((v, i) => {
      if (!(v instanceof Uint8Array)) throw invalidArgument(`${labelOf(c)}: ${fieldName}[${i}] is not bytes`);
    });
    return (values as Uint8Array[]).slice();
  }
  if (dt === 'BOOL') return Uint8Array.from(values as boolean[], (b) => (b ? 1 : 0));
  const ctor = DATATYPE_INFO[dt].array!;
  let data: NumericData;
  try {
    data = (ctor.from as (a: readonly unknown[]) => NumericData)(values);
  } catch {
    // BigInt64Array.from throws TypeError on a non-bigint (and vice versa for the number arrays).
    throw invalidArgument(`${labelOf(c)}: ${fieldName} holds values of the wrong JS type for ${dt}`);
  }
  if (dt !== 'FP32' && dt !== 'FP64') {
    // Integers: the typed array wraps out-of-range values and truncates fractions; refuse rather than alter.
    for (let i = 0; i < values.length; i++) {
      if (data[i] !== values[i]) {
        throw invalidArgument(`${labelOf(c)}: ${fieldName}[${i}] = ${String(values[i])} is not a valid ${dt}`);
      }
    }
  }
  return data;
}

// Encoding `Tensor`s for OIP responses: as one raw_output_contents buffer (encodeRaw: a zero-copy view for
// numeric data, length-prefixed elements for BYTES) or as typed InferTensorContents fields (encodeTyped).

import { InferError, invalidArgument } from '../errors';
import { CONTENTS_FIELDS, DATATYPE_INFO, type TypedContents } from './datatypes';
import { formatShape } from './shape';
import { elementCount, type NumericData, type Tensor } from './tensor';

/** All eight typed fields, the datatype's filled and the rest empty; assignable to ts-proto's InferTensorContents. */
export type EncodedContents = Required<Omit<TypedContents, 'bytesContents'>> & { bytesContents: Buffer[] };

function checkCount(t: Tensor): void {
  const n = elementCount(t.shape);
  if (t.data.length !== n) {
    throw new InferError(
      'INTERNAL',
      `output '${t.name}' has ${t.data.length} elements, but its shape ${formatShape(t.shape)} needs ${n}`,
    );
  }
}

/** Raw bytes of a tensor: numeric data as a view over its typed array (no copy); BYTES as 4-byte LE length + bytes each. */
export function encodeRaw(t: Tensor): Buffer {
  checkCount(t);
  if (t.datatype !== 'BYTES') {
    const d = t.data as NumericData;
    return Buffer.from(d.buffer, d.byteOffset, d.byteLength);
  }
  const elems = t.data as Uint8Array[];
  let total = 0;
  for (const e of elems) total += 4 + e.byteLength;
  const out = Buffer.allocUnsafe(total);
  let p = 0;
  for (const e of elems) {
    out.writeUInt32LE(e.byteLength, p);
    out.set(e, p + 4);
    p += 4 + e.byteLength;
  }
  return out;
}

/** Typed contents of a tensor; FP16/BF16 have no typed field and throw INVALID_ARGUMENT. */
export function encodeTyped(t: Tensor): EncodedContents {
  checkCount(t);
  const field = DATATYPE_INFO[t.datatype].contents;
  if (field === null) {
    throw invalidArgument(
      `output '${t.name}' has datatype ${t.datatype}, which the protocol only carries in raw_output_contents`,
    );
  }
  const out = Object.fromEntries(CONTENTS_FIELDS.map((f) => [f, []])) as unknown as EncodedContents;
  switch (t.datatype) {
    case 'BYTES':
      out.bytesContents = (t.data as Uint8Array[]).map((e) => Buffer.from(e.buffer, e.byteOffset, e.byteLength));
      break;
    case 'BOOL':
      out.boolContents = Array.from(t.data as Uint8Array, (b) => b !== 0);
      break;
    default:
      // number[] for the 8/16/32-bit and float types, bigint[] for the 64-bit integers.
      (out as unknown as Record<string, unknown[]>)[field] = Array.from(t.data as ArrayLike<unknown>);
  }
  return out;
}

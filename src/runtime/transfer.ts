// Moves tensors to and from a worker thread. An execution's inputs leave the main thread as OutgoingInputs: each
// input's data is the pieces of the requests it joins, copied one after another straight into the worker's shared
// slot (shared-channel.ts, the fast path) or, on the postMessage path, into a single fresh ArrayBuffer (8-byte
// aligned) that is transferred: a batch is joined by the copy that hands it over, never by one of its own, and
// the main thread never shares memory with the worker or clones per element. BYTES tensors travel as string[]
// (onnxruntime's string tensors).

import type { BatchInput } from '../tensor/batch';
import { fromOrtValue, toOrtFeed } from '../tensor/ort-tensor';
import type { NumericData, Tensor } from '../tensor/tensor';
import type { WireTensor } from './messages';

/** An execution input as onnxruntime will take it: its type and joined dims, and its data as numeric pieces in order or as strings. */
export interface OutgoingInput {
  name: string;
  type: string;
  dims: number[];
  /** Numeric data: the requests' typed arrays, not copied (empty for strings). */
  pieces: readonly NumericData[];
  /** String data (BYTES), joined; null for numeric data. */
  strings: string[] | null;
}

export interface Packed {
  tensors: WireTensor[];
  transfer: ArrayBuffer[];
}

const align8 = (n: number): number => (n + 7) & ~7;

/** An execution's inputs as onnxruntime will take them, numeric data not copied. */
export function outgoingInputs(inputs: readonly BatchInput[]): OutgoingInput[] {
  return inputs.map((input) => {
    const feeds = input.parts.map(toOrtFeed);
    const type = feeds[0].type;
    const dims = input.shape.slice();
    if (!Array.isArray(feeds[0].data)) return { name: input.name, type, dims, pieces: feeds.map((f) => f.data as NumericData), strings: null };
    const strings: string[] = [];
    for (const f of feeds) for (const s of f.data as string[]) strings.push(s);
    return { name: input.name, type, dims, pieces: [], strings };
  });
}

/** Copies the inputs' numeric pieces, joined, into one fresh ArrayBuffer for postMessage to transfer. */
export function packInputs(inputs: readonly OutgoingInput[]): Packed {
  const byteLength = (t: OutgoingInput): number => t.pieces.reduce((n, p) => n + p.byteLength, 0);
  let total = 0;
  for (const t of inputs) if (!t.strings) total = align8(total) + byteLength(t);
  const buffer = new ArrayBuffer(align8(total));
  const bytes = new Uint8Array(buffer);
  let offset = 0;
  const tensors = inputs.map((t): WireTensor => {
    if (t.strings) return { name: t.name, type: t.type, dims: t.dims, data: t.strings };
    offset = align8(offset);
    const start = offset;
    for (const p of t.pieces) {
      bytes.set(new Uint8Array(p.buffer, p.byteOffset, p.byteLength), offset);
      offset += p.byteLength;
    }
    const first = t.pieces[0];
    const Ctor = first.constructor as new (b: ArrayBuffer, o: number, l: number) => NumericData;
    return { name: t.name, type: t.type, dims: t.dims, data: new Ctor(buffer, start, (offset - start) / first.BYTES_PER_ELEMENT) };
  });
  return { tensors, transfer: total > 0 ? [buffer] : [] };
}

export function unpackOutputs(outputs: readonly WireTensor[]): Tensor[] {
  return outputs.map((o) => fromOrtValue(o.name, o));
}

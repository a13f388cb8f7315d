// Moves tensors to and from a worker thread on the postMessage path (see shared-channel.ts for the fast one): all numeric inputs of one run are packed into a single fresh
// ArrayBuffer (one memcpy per tensor, 8-byte aligned) that is transferred, so the main thread never shares memory
// with the worker and never clones per element. BYTES tensors travel as string[] (onnxruntime's string tensors).

import { fromOrtValue, toOrtFeed } from '../tensor/ort-tensor';
import type { NumericData, Tensor } from '../tensor/tensor';
import type { WireTensor } from './messages';

export interface Packed {
  tensors: WireTensor[];
  transfer: ArrayBuffer[];
}

const align8 = (n: number): number => (n + 7) & ~7;

/** Inputs as onnxruntime will take them, numeric data not copied (for the shared channel, which copies once). */
export function wireInputs(inputs: readonly Tensor[]): WireTensor[] {
  return inputs.map((t) => ({ name: t.name, ...toOrtFeed(t) }));
}

export function packInputs(inputs: readonly Tensor[]): Packed {
  const feeds = wireInputs(inputs);
  let total = 0;
  for (const f of feeds) if (!Array.isArray(f.data)) total = align8(total) + f.data.byteLength;
  const buffer = new ArrayBuffer(align8(total));
  const bytes = new Uint8Array(buffer);
  let offset = 0;
  const tensors = feeds.map((f): WireTensor => {
    if (Array.isArray(f.data)) return { name: f.name, type: f.type, dims: f.dims, data: f.data };
    const src = f.data;
    offset = align8(offset);
    bytes.set(new Uint8Array(src.buffer, src.byteOffset, src.byteLength), offset);
    const Ctor = src.constructor as new (b: ArrayBuffer, o: number, l: number) => NumericData;
    const data = new Ctor(buffer, offset, src.length);
    offset += src.byteLength;
    return { name: f.name, type: f.type, dims: f.dims, data };
  });
  return { tensors, transfer: total > 0 ? [buffer] : [] };
}

export function unpackOutputs(outputs: readonly WireTensor[]): Tensor[] {
  return outputs.map((o) => fromOrtValue(o.name, o));
}

// Owns: a tiny deterministic ONNX graph-building helper over `onnx-proto` (tensors, value infos, nodes, models, PRNG)
// used by scripts/build-models.ts. Same inputs always encode to the same bytes (no timestamps, no Math.random).

import { onnx } from 'onnx-proto';

export const DT = onnx.TensorProto.DataType;
export type ElemType = onnx.TensorProto.DataType;

export const IR_VERSION = 8;
export const OPSET = 17;
export const PRODUCER = 'inferd-build-models';

/** A dimension: a fixed size (number) or a symbolic name (string). */
export type Dim = number | string;

/** mulberry32: a small seeded PRNG returning floats in [0, 1). */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** `count` float32 values uniform in [-bound, bound) from a seeded PRNG. */
export function uniformF32(rand: () => number, count: number, bound: number): Float32Array {
  const out = new Float32Array(count);
  for (let i = 0; i < count; i++) out[i] = (rand() * 2 - 1) * bound;
  return out;
}

/** A float32 initializer stored as little-endian raw_data bytes. */
export function floatTensor(name: string, dims: number[], values: Float32Array): onnx.ITensorProto {
  const size = dims.reduce((a, b) => a * b, 1);
  if (size !== values.length) throw new Error(`${name}: ${values.length} values for dims [${dims}]`);
  const raw = new Uint8Array(values.length * 4);
  const view = new DataView(raw.buffer);
  for (let i = 0; i < values.length; i++) view.setFloat32(i * 4, values[i], true);
  return { name, dims, dataType: DT.FLOAT, rawData: raw };
}

/** An int64 initializer (e.g. shapes for Reshape). */
export function int64Tensor(name: string, dims: number[], values: number[]): onnx.ITensorProto {
  return { name, dims, dataType: DT.INT64, int64Data: values };
}

/** A graph input/output description with fixed or symbolic dims. */
export function valueInfo(name: string, elemType: ElemType, dims: Dim[]): onnx.IValueInfoProto {
  const dim = dims.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d }));
  return { name, type: { tensorType: { elemType, shape: { dim } } } };
}

export type AttrValue = number | number[] | string;

/** Attributes: integers become INT, non-integers FLOAT, arrays INTS, strings STRING. */
function attribute(name: string, value: AttrValue): onnx.IAttributeProto {
  const T = onnx.AttributeProto.AttributeType;
  if (typeof value === 'string') return { name, type: T.STRING, s: new TextEncoder().encode(value) };
  if (Array.isArray(value)) return { name, type: T.INTS, ints: value };
  if (Number.isInteger(value)) return { name, type: T.INT, i: value };
  return { name, type: T.FLOAT, f: value };
}

/** A node; attribute keys are emitted in sorted order so output is stable. */
export function node(
  opType: string,
  inputs: string[],
  outputs: string[],
  name: string,
  attrs: Record<string, AttrValue> = {},
): onnx.INodeProto {
  const attribute_ = Object.keys(attrs).sort().map((k) => attribute(k, attrs[k]));
  return { opType, input: inputs, output: outputs, name, attribute: attribute_ };
}

export interface GraphSpec {
  name: string;
  inputs: onnx.IValueInfoProto[];
  outputs: onnx.IValueInfoProto[];
  nodes: onnx.INodeProto[];
  initializers?: onnx.ITensorProto[];
}

/** A ModelProto (ir_version 8, default-domain opset 17) wrapping one graph. */
export function model(spec: GraphSpec): onnx.IModelProto {
  return {
    irVersion: IR_VERSION,
    opsetImport: [{ domain: '', version: OPSET }],
    producerName: PRODUCER,
    graph: {
      name: spec.name,
      input: spec.inputs,
      output: spec.outputs,
      node: spec.nodes,
      initializer: spec.initializers ?? [],
    },
  };
}

/** Serialize a model to protobuf bytes. */
export function encodeModel(m: onnx.IModelProto): Uint8Array {
  const err = onnx.ModelProto.verify(m);
  if (err) throw new Error(`invalid ModelProto: ${err}`);
  return onnx.ModelProto.encode(m).finish();
}

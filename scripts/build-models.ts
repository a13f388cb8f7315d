// Owns: building the default model repository (models/simple, models/simple_string, models/mlp, models/generator) and
// the ONNX test fixtures under test/fixtures/ (repo-all-types, corrupt, slow, slow_echo, tiny_mlp, medium_mlp, counter).
// Run `node dist/scripts/build-models.js`;
// `buildAll()` rebuilds everything in memory so a test can compare it with the committed files.

import * as fs from 'fs';
import * as path from 'path';
import { onnx } from 'onnx-proto';
import { DT, ElemType, encodeModel, floatTensor, model, mulberry32, node, uniformF32, valueInfo } from './onnx-builder';
import { counterConfig, counterModel, generatorConfig, generatorModel } from './streaming-models';

// ---------- Triton-style config.pbtxt ----------

interface IoSpec {
  name: string;
  dataType: string; // e.g. TYPE_INT32
  dims: number[];
}

function ioBlock(kind: 'input' | 'output', specs: IoSpec[]): string {
  const items = specs.map(
    (s) => `  {\n    name: "${s.name}"\n    data_type: ${s.dataType}\n    dims: [ ${s.dims.join(', ')} ]\n  }`,
  );
  return `${kind} [\n${items.join(',\n')}\n]\n`;
}

function configPbtxt(name: string, maxBatchSize: number, inputs: IoSpec[], outputs: IoSpec[]): string {
  return (
    `name: "${name}"\nplatform: "onnxruntime_onnx"\nmax_batch_size: ${maxBatchSize}\n` +
    ioBlock('input', inputs) +
    ioBlock('output', outputs)
  );
}

// ---------- simple / simple_string ----------

/** simple (INT32) or simple_string (STRING): OUTPUT0 = INPUT0 + INPUT1, OUTPUT1 = INPUT0 - INPUT1, shape [batch, 16]. */
function simpleModel(name: string, elem: ElemType): Uint8Array {
  const dims = ['batch', 16];
  const io = (n: string) => valueInfo(n, elem, dims);
  const nodes =
    elem === DT.STRING
      ? [
          node('Cast', ['INPUT0'], ['in0_i32'], 'cast_in0', { to: DT.INT32 }),
          node('Cast', ['INPUT1'], ['in1_i32'], 'cast_in1', { to: DT.INT32 }),
          node('Add', ['in0_i32', 'in1_i32'], ['sum_i32'], 'add'),
          node('Sub', ['in0_i32', 'in1_i32'], ['diff_i32'], 'sub'),
          node('Cast', ['sum_i32'], ['OUTPUT0'], 'cast_out0', { to: DT.STRING }),
          node('Cast', ['diff_i32'], ['OUTPUT1'], 'cast_out1', { to: DT.STRING }),
        ]
      : [node('Add', ['INPUT0', 'INPUT1'], ['OUTPUT0'], 'add'), node('Sub', ['INPUT0', 'INPUT1'], ['OUTPUT1'], 'sub')];
  return encodeModel(
    model({ name, inputs: [io('INPUT0'), io('INPUT1')], outputs: [io('OUTPUT0'), io('OUTPUT1')], nodes }),
  );
}

function simpleConfig(name: string, dataType: string): string {
  const io = (n: string): IoSpec => ({ name: n, dataType, dims: [16] });
  return configPbtxt(name, 8, [io('INPUT0'), io('INPUT1')], [io('OUTPUT0'), io('OUTPUT1')]);
}

// ---------- MLPs ----------

/** One dense layer: Y = X·W + b with W stored row-major as [inDim, outDim]. */
export interface DenseLayer {
  inDim: number;
  outDim: number;
  W: Float32Array;
  b: Float32Array;
}

/** Seeded weights for an MLP with the given layer widths (uniform ±1/sqrt(fan_in), like PyTorch's default). */
export function mlpWeights(widths: number[], seed: number): DenseLayer[] {
  const rand = mulberry32(seed);
  const layers: DenseLayer[] = [];
  for (let i = 0; i + 1 < widths.length; i++) {
    const [inDim, outDim] = [widths[i], widths[i + 1]];
    const bound = 1 / Math.sqrt(inDim);
    layers.push({ inDim, outDim, W: uniformF32(rand, inDim * outDim, bound), b: uniformF32(rand, outDim, bound) });
  }
  return layers;
}

/** INPUT [batch, w0] → (Gemm + Relu)* → Gemm → Softmax → OUTPUT [batch, wN]. */
function mlpModel(name: string, layers: DenseLayer[]): Uint8Array {
  const nodes: onnx.INodeProto[] = [];
  const initializers: onnx.ITensorProto[] = [];
  let x = 'INPUT';
  layers.forEach((l, i) => {
    initializers.push(floatTensor(`W${i}`, [l.inDim, l.outDim], l.W), floatTensor(`b${i}`, [l.outDim], l.b));
    const y = `gemm${i}`;
    nodes.push(node('Gemm', [x, `W${i}`, `b${i}`], [y], `gemm${i}`));
    if (i + 1 < layers.length) {
      nodes.push(node('Relu', [y], [`relu${i}`], `relu${i}`));
      x = `relu${i}`;
    } else {
      nodes.push(node('Softmax', [y], ['OUTPUT'], 'softmax', { axis: -1 }));
    }
  });
  const inDim = layers[0].inDim;
  const outDim = layers[layers.length - 1].outDim;
  return encodeModel(
    model({
      name,
      inputs: [valueInfo('INPUT', DT.FLOAT, ['batch', inDim])],
      outputs: [valueInfo('OUTPUT', DT.FLOAT, ['batch', outDim])],
      nodes,
      initializers,
    }),
  );
}

export const MLP_WIDTHS = [4, 16, 3];
export const MLP_SEED = 0x1f2e3d4c;
export const MEDIUM_MLP_WIDTHS = [512, 1536, 1024, 512, 10];
export const MEDIUM_MLP_SEED = 0x5eed0003;
/** The benchmark's tiny model: 64·128 + 128 + 128·10 + 10 = 9,610 parameters. */
export const TINY_MLP_WIDTHS = [64, 128, 10];
export const TINY_MLP_SEED = 0x5eed0004;

export function paramCount(layers: DenseLayer[]): number {
  return layers.reduce((n, l) => n + l.W.length + l.b.length, 0);
}

// ---------- identity fixtures ----------

/** Triton datatype name → ONNX element type, for every type onnxruntime-node can feed. */
export const IDENTITY_TYPES: Record<string, ElemType> = {
  BOOL: DT.BOOL,
  UINT8: DT.UINT8,
  UINT16: DT.UINT16,
  UINT32: DT.UINT32,
  UINT64: DT.UINT64,
  INT8: DT.INT8,
  INT16: DT.INT16,
  INT32: DT.INT32,
  INT64: DT.INT64,
  FP16: DT.FLOAT16,
  FP32: DT.FLOAT,
  FP64: DT.DOUBLE,
  STRING: DT.STRING,
};

/** One Identity per type: IN_<T> [n_<t>] → OUT_<T> [n_<t>], each with its own symbolic size. */
function identityModel(name: string, types: Record<string, ElemType>): Uint8Array {
  const entries = Object.entries(types);
  const sym = (t: string) => `n_${t.toLowerCase()}`;
  return encodeModel(
    model({
      name,
      inputs: entries.map(([t, e]) => valueInfo(`IN_${t}`, e, [sym(t)])),
      outputs: entries.map(([t, e]) => valueInfo(`OUT_${t}`, e, [sym(t)])),
      nodes: entries.map(([t]) => node('Identity', [`IN_${t}`], [`OUT_${t}`], `identity_${t.toLowerCase()}`)),
    }),
  );
}

/** 64 bytes that no protobuf parser accepts: an 11-byte over-long varint tag, then ASCII filler. */
function corruptBytes(): Uint8Array {
  const out = new Uint8Array(64).fill(0x2e); // '.'
  out.fill(0xff, 0, 11);
  const text = new TextEncoder().encode(' inferd corrupt fixture: not an ONNX model ');
  out.set(text.subarray(0, 64 - 12), 11);
  out[63] = 0x0a;
  return out;
}

/**
 * A deliberately slow model for tests that need a request to be in flight: INPUT [batch, 256] FP32 goes through
 * `depth` MatMuls that all share one 256×256 weight (so the file stays small), then OUTPUT = the last product.
 * Run time grows with batch × depth. `slow_echo` adds a second output ECHO = INPUT, so tests that batch it can
 * tell whose rows each caller got back.
 */
export const SLOW_WIDTH = 256;
export const SLOW_DEPTH = 400;
function slowModel(name: 'slow' | 'slow_echo'): Uint8Array {
  const rand = mulberry32(0x51035);
  const w = uniformF32(rand, SLOW_WIDTH * SLOW_WIDTH, 1 / Math.sqrt(SLOW_WIDTH));
  const nodes: onnx.INodeProto[] = [];
  let x = 'INPUT';
  for (let i = 0; i < SLOW_DEPTH; i++) {
    const y = i + 1 === SLOW_DEPTH ? 'OUTPUT' : `h${i}`;
    nodes.push(node('MatMul', [x, 'W'], [y], `matmul${i}`));
    x = y;
  }
  const outputs = [valueInfo('OUTPUT', DT.FLOAT, ['batch', SLOW_WIDTH])];
  if (name === 'slow_echo') {
    nodes.push(node('Identity', ['INPUT'], ['ECHO'], 'echo'));
    outputs.push(valueInfo('ECHO', DT.FLOAT, ['batch', SLOW_WIDTH]));
  }
  return encodeModel(
    model({
      name,
      inputs: [valueInfo('INPUT', DT.FLOAT, ['batch', SLOW_WIDTH])],
      outputs,
      nodes,
      initializers: [floatTensor('W', [SLOW_WIDTH, SLOW_WIDTH], w)],
    }),
  );
}

// ---------- everything ----------

/** Every generated file, keyed by path relative to the repository root. */
export function buildAll(): Map<string, Uint8Array | string> {
  const files = new Map<string, Uint8Array | string>();
  files.set('models/simple/config.pbtxt', simpleConfig('simple', 'TYPE_INT32'));
  files.set('models/simple/1/model.onnx', simpleModel('simple', DT.INT32));
  files.set('models/simple_string/config.pbtxt', simpleConfig('simple_string', 'TYPE_STRING'));
  files.set('models/simple_string/1/model.onnx', simpleModel('simple_string', DT.STRING));
  files.set(
    'models/mlp/config.pbtxt',
    configPbtxt(
      'mlp',
      8,
      [{ name: 'INPUT', dataType: 'TYPE_FP32', dims: [MLP_WIDTHS[0]] }],
      [{ name: 'OUTPUT', dataType: 'TYPE_FP32', dims: [MLP_WIDTHS[MLP_WIDTHS.length - 1]] }],
    ),
  );
  files.set('models/mlp/1/model.onnx', mlpModel('mlp', mlpWeights(MLP_WIDTHS, MLP_SEED)));
  // Every input has a dynamic first dim, which auto-complete would read as a batch dim; this fixture's dims are
  // independent sizes, so its partial config says only that it does not batch.
  files.set('test/fixtures/repo-all-types/identity_all/config.pbtxt', 'max_batch_size: 0\n');
  files.set('test/fixtures/repo-all-types/identity_all/1/model.onnx', identityModel('identity_all', IDENTITY_TYPES));
  // The same without FP16, which has no typed `contents` field: a request can send every input typed.
  const { FP16: _fp16, ...typedTypes } = IDENTITY_TYPES;
  files.set('test/fixtures/repo-all-types/identity_typed/config.pbtxt', 'max_batch_size: 0\n');
  files.set('test/fixtures/repo-all-types/identity_typed/1/model.onnx', identityModel('identity_typed', typedTypes));
  files.set('test/fixtures/repo-all-types/bf16_identity/1/model.onnx', identityModel('bf16_identity', { BF16: DT.BFLOAT16 }));
  files.set('test/fixtures/corrupt/model.onnx', corruptBytes());
  files.set('test/fixtures/slow/1/model.onnx', slowModel('slow'));
  files.set('test/fixtures/slow_echo/1/model.onnx', slowModel('slow_echo'));
  files.set('test/fixtures/tiny_mlp/1/model.onnx', mlpModel('tiny_mlp', mlpWeights(TINY_MLP_WIDTHS, TINY_MLP_SEED)));
  files.set('test/fixtures/medium_mlp/1/model.onnx', mlpModel('medium_mlp', mlpWeights(MEDIUM_MLP_WIDTHS, MEDIUM_MLP_SEED)));
  files.set('models/generator/config.pbtxt', generatorConfig());
  files.set('models/generator/1/model.onnx', generatorModel());
  files.set('test/fixtures/counter/config.pbtxt', counterConfig());
  files.set('test/fixtures/counter/1/model.onnx', counterModel());
  return files;
}

function toBytes(content: Uint8Array | string): Buffer {
  return typeof content === 'string' ? Buffer.from(content, 'utf8') : Buffer.from(content);
}

/** Write each file under `root` only if its content changed; returns the paths written. */
export function writeAll(root: string): string[] {
  const written: string[] = [];
  for (const [rel, content] of buildAll()) {
    const file = path.join(root, rel);
    const bytes = toBytes(content);
    if (fs.existsSync(file) && fs.readFileSync(file).equals(bytes)) continue;
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, bytes);
    written.push(rel);
    console.log(`wrote ${rel} (${bytes.length} bytes)`);
  }
  return written;
}

if (require.main === module) {
  const root = path.resolve(__dirname, '../..'); // dist/scripts → repo root
  const written = writeAll(root);
  if (written.length === 0) console.log('all models up to date');
}

// Owns: running the generated models and fixtures with onnxruntime-node in-process and checking computed values
// (simple, simple_string, mlp against a plain-JS forward pass, identity_all per datatype, bf16/corrupt rejection).

import * as path from 'path';
import * as ort from 'onnxruntime-node';
import { DenseLayer, MEDIUM_MLP_WIDTHS, MLP_SEED, MLP_WIDTHS, mlpWeights } from '../../scripts/build-models';

const ROOT = path.resolve(__dirname, '../../..'); // dist/test/unit → repo root
const load = (rel: string) => ort.InferenceSession.create(path.join(ROOT, rel));

describe('simple', () => {
  it('computes sum and difference for batch 2', async () => {
    const s = await load('models/simple/1/model.onnx');
    const a = Int32Array.from({ length: 32 }, (_, i) => i * 3 - 40);
    const b = Int32Array.from({ length: 32 }, (_, i) => 7 - i);
    const out = await s.run({ INPUT0: new ort.Tensor('int32', a, [2, 16]), INPUT1: new ort.Tensor('int32', b, [2, 16]) });
    expect(out.OUTPUT0.type).toBe('int32');
    expect(out.OUTPUT0.dims).toEqual([2, 16]);
    expect(out.OUTPUT1.dims).toEqual([2, 16]);
    expect(Array.from(out.OUTPUT0.data as Int32Array)).toEqual(Array.from(a, (x, i) => x + b[i]));
    expect(Array.from(out.OUTPUT1.data as Int32Array)).toEqual(Array.from(a, (x, i) => x - b[i]));
  });
});

describe('simple_string', () => {
  it('adds and subtracts decimal strings, including negatives', async () => {
    const s = await load('models/simple_string/1/model.onnx');
    const a = Array.from({ length: 32 }, (_, i) => i - 10);
    const b = Array.from({ length: 32 }, (_, i) => (i % 5) * 7 - 3);
    a[0] = 3; b[0] = 4;
    const str = (xs: number[]) => new ort.Tensor('string', xs.map(String), [2, 16]);
    const out = await s.run({ INPUT0: str(a), INPUT1: str(b) });
    expect(out.OUTPUT0.type).toBe('string');
    expect(out.OUTPUT0.dims).toEqual([2, 16]);
    expect(out.OUTPUT0.data).toEqual(a.map((x, i) => String(x + b[i])));
    expect(out.OUTPUT1.data).toEqual(a.map((x, i) => String(x - b[i])));
    expect((out.OUTPUT0.data as string[])[0]).toBe('7');
    expect((out.OUTPUT1.data as string[])[0]).toBe('-1');
  });
});

/** Plain-JS forward pass: (dense + relu)* → dense → softmax, in float64. */
function forward(layers: DenseLayer[], x: Float32Array, batch: number): number[][] {
  const rows: number[][] = [];
  for (let r = 0; r < batch; r++) {
    let h = Array.from(x.subarray(r * layers[0].inDim, (r + 1) * layers[0].inDim));
    layers.forEach((l, li) => {
      const y = Array.from(l.b);
      for (let i = 0; i < l.inDim; i++) for (let j = 0; j < l.outDim; j++) y[j] += h[i] * l.W[i * l.outDim + j];
      h = li + 1 < layers.length ? y.map((v) => Math.max(0, v)) : y;
    });
    const m = Math.max(...h);
    const e = h.map((v) => Math.exp(v - m));
    const sum = e.reduce((p, q) => p + q, 0);
    rows.push(e.map((v) => v / sum));
  }
  return rows;
}

describe('mlp', () => {
  it('returns softmax rows matching a plain-JS forward pass of the seeded weights', async () => {
    const s = await load('models/mlp/1/model.onnx');
    const batch = 3;
    const x = Float32Array.from({ length: batch * 4 }, (_, i) => Math.sin(i + 1) * 2);
    const out = await s.run({ INPUT: new ort.Tensor('float32', x, [batch, 4]) });
    expect(out.OUTPUT.type).toBe('float32');
    expect(out.OUTPUT.dims).toEqual([batch, 3]);
    const got = out.OUTPUT.data as Float32Array;
    const want = forward(mlpWeights(MLP_WIDTHS, MLP_SEED), x, batch);
    for (let r = 0; r < batch; r++) {
      const row = Array.from(got.subarray(r * 3, r * 3 + 3));
      expect(row.reduce((p, q) => p + q, 0)).toBeCloseTo(1, 5);
      row.forEach((v, j) => expect(v).toBeCloseTo(want[r][j], 5));
    }
  });
});

describe('medium_mlp fixture', () => {
  it('loads and produces [batch, N] softmax rows', async () => {
    const s = await load('test/fixtures/medium_mlp/1/model.onnx');
    const [inDim, outDim] = [MEDIUM_MLP_WIDTHS[0], MEDIUM_MLP_WIDTHS[MEDIUM_MLP_WIDTHS.length - 1]];
    const x = Float32Array.from({ length: 2 * inDim }, (_, i) => Math.cos(i));
    const out = await s.run({ INPUT: new ort.Tensor('float32', x, [2, inDim]) });
    expect(out.OUTPUT.dims).toEqual([2, outDim]);
    const d = out.OUTPUT.data as Float32Array;
    for (let r = 0; r < 2; r++) expect(d.subarray(r * outDim, (r + 1) * outDim).reduce((p, q) => p + q, 0)).toBeCloseTo(1, 5);
  });
});

describe('identity_all fixture', () => {
  // Triton datatype → [onnxruntime-node tensor type, sample data]; sizes differ per tensor (independent symbolic dims).
  // FP16 is carried as raw bits in a Uint16Array (Node 20 has no Float16Array). Strings avoid embedded NUL:
  // onnxruntime-node 1.30 truncates a string at its first NUL byte (it marshals through C strings).
  const samples: Record<string, [ort.Tensor.Type, ort.Tensor.DataType]> = {
    BOOL: ['bool', Uint8Array.from([1, 0, 1])],
    UINT8: ['uint8', Uint8Array.from([0, 1, 255, 128])],
    UINT16: ['uint16', Uint16Array.from([0, 65535, 1234])],
    UINT32: ['uint32', Uint32Array.from([0, 4294967295, 42, 7, 9])],
    UINT64: ['uint64', BigUint64Array.from([0n, 18446744073709551615n])],
    INT8: ['int8', Int8Array.from([-128, 127, 0])],
    INT16: ['int16', Int16Array.from([-32768, 32767])],
    INT32: ['int32', Int32Array.from([-2147483648, 2147483647, 5, -5])],
    INT64: ['int64', BigInt64Array.from([-9223372036854775808n, 9223372036854775807n, 3n])],
    FP16: ['float16', Uint16Array.from([0x3c00, 0xc000, 0x7bff, 0x0001, 0x7e00])],
    FP32: ['float32', Float32Array.from([1.5, -0, 3.4028234663852886e38, NaN, Infinity, 1e-45])],
    FP64: ['float64', Float64Array.from([Math.PI, -1e308, 5e-324])],
    STRING: ['string', ['', 'hello', 'ünïcode ✓', '-12']],
  };

  it('declares one input and output per datatype', async () => {
    const s = await load('test/fixtures/repo-all-types/identity_all/1/model.onnx');
    expect([...s.inputNames].sort()).toEqual(Object.keys(samples).map((t) => `IN_${t}`).sort());
    expect([...s.outputNames].sort()).toEqual(Object.keys(samples).map((t) => `OUT_${t}`).sort());
  });

  it('returns every input exactly', async () => {
    const s = await load('test/fixtures/repo-all-types/identity_all/1/model.onnx');
    const feeds: Record<string, ort.Tensor> = {};
    for (const [t, [type, data]] of Object.entries(samples)) {
      feeds[`IN_${t}`] = new ort.Tensor(type, data as never, [(data as ArrayLike<unknown>).length]);
    }
    const out = await s.run(feeds);
    for (const [t, [type, data]] of Object.entries(samples)) {
      const o = out[`OUT_${t}`];
      expect([t, o.type]).toEqual([t, type]);
      expect(o.dims).toEqual([(data as ArrayLike<unknown>).length]);
      if (type === 'string') {
        expect(o.data).toEqual(data);
      } else {
        // compare raw bytes so NaN, -0 and FP16 bit patterns count as exact
        const v = data as ArrayBufferView;
        const w = o.data as ArrayBufferView;
        expect([t, Buffer.from(w.buffer, w.byteOffset, w.byteLength).toString('hex')]).toEqual([
          t,
          Buffer.from(v.buffer, v.byteOffset, v.byteLength).toString('hex'),
        ]);
      }
    }
  });
});

describe('failure fixtures', () => {
  it('bf16_identity is rejected by onnxruntime-node', async () => {
    await expect(load('test/fixtures/repo-all-types/bf16_identity/1/model.onnx')).rejects.toThrow();
  });

  it('corrupt/model.onnx is 64 bytes that fail to parse', async () => {
    const fs = await import('fs');
    expect(fs.statSync(path.join(ROOT, 'test/fixtures/corrupt/model.onnx')).size).toBe(64);
    await expect(load('test/fixtures/corrupt/model.onnx')).rejects.toThrow(/parsing failed|Protobuf/i);
  });
});

// The suite's transport ceilings answer like a model server: the bare echo, the echo through a worker-thread
// round trip, and that round trip running the tiny model each return a ModelInferResponse with the model's output
// shape to every one of many concurrent callers (the hop server's per-turn batching, its cap of 32 rows per trip
// when it runs the model, and its wake-ups must lose none of them). The minimal OIP server (`codec`) is a real one:
// each caller gets the model's outputs for its own rows.

import * as path from 'node:path';
import * as ort from 'onnxruntime-node';
import { ModelInferRequest, ModelInferResponse } from '../../generated/inference/grpc_service';
import { REPO_ROOT, startBenchServer } from '../../bench/server-process';
import { RawClient } from '../support/raw-client';

const METHOD = '/inference.GRPCInferenceService/ModelInfer';

/** A ModelInfer request for the tiny model: `rows` rows of 64 floats, raw. */
const tinyRequest = (id: string, rows: number, raw: Buffer): Buffer =>
  Buffer.from(
    ModelInferRequest.encode({
      modelName: 'tiny',
      modelVersion: '',
      id,
      parameters: {},
      inputs: [{ name: 'INPUT', datatype: 'FP32', shape: [BigInt(rows), 64n], parameters: {}, contents: undefined }],
      outputs: [],
      rawInputContents: [raw],
    }).finish(),
  );

const request = tinyRequest('', 2, Buffer.alloc(2 * 64 * 4, 7));

const TINY_MODEL = path.join(REPO_ROOT, 'test/fixtures/tiny_mlp/1/model.onnx');

test.each([
  ['echo-server.js', '', []],
  ['hop-echo-server.js', '', []],
  ['hop-echo-server.js', ' running the tiny model', [TINY_MODEL, '64']],
])('%s%s answers 200 concurrent calls, rounds of them in one turn', async (script, _what, engine) => {
  const server = await startBenchServer(script, ['tiny', '2', '10', ...engine]);
  const client = new RawClient(server.address);
  try {
    for (let round = 0; round < 4; round++) {
      const answers = await Promise.all(Array.from({ length: 50 }, () => client.unary(METHOD, request)));
      for (const a of answers) {
        if (!a.ok) throw a.error;
        const res = ModelInferResponse.decode(a.body);
        expect(res.outputs[0].shape).toEqual([2n, 10n]);
        expect(res.rawOutputContents[0].byteLength).toBe(2 * 10 * 4);
      }
    }
  } finally {
    client.close();
    await server.stop();
  }
});

test('the minimal OIP server answers each of many concurrent callers with the model outputs of its own rows', async () => {
  const server = await startBenchServer('hop-echo-server.js', ['tiny', '2', '10', TINY_MODEL, '64', 'codec']);
  const client = new RawClient(server.address);
  const session = await ort.InferenceSession.create(TINY_MODEL);
  try {
    const calls = Array.from({ length: 60 }, (_, k) => {
      const rows = 1 + (k % 3);
      const x = Float32Array.from({ length: rows * 64 }, (_, i) => Math.sin(i * 0.37 + k));
      return { k, rows, x, answer: client.unary(METHOD, tinyRequest(`call-${k}`, rows, Buffer.from(x.buffer))) };
    });
    for (const { k, rows, x, answer } of calls) {
      const a = await answer;
      if (!a.ok) throw a.error;
      const res = ModelInferResponse.decode(a.body);
      expect(res.id).toBe(`call-${k}`);
      expect(res.outputs[0].shape).toEqual([BigInt(rows), 10n]);
      const raw = res.rawOutputContents[0];
      const got = new Float32Array(raw.buffer.slice(raw.byteOffset, raw.byteOffset + raw.byteLength));
      const want = (await session.run({ [session.inputNames[0]]: new ort.Tensor('float32', x, [rows, 64]) }))[session.outputNames[0]];
      expect(Array.from(got)).toEqual(Array.from(want.data as Float32Array));
    }
  } finally {
    client.close();
    await session.release();
    await server.stop();
  }
});

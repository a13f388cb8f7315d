// The suite's transport ceilings answer like a model server: the bare echo, the echo through a worker-thread
// round trip, and that round trip running the tiny model each return a ModelInferResponse with the model's output
// shape to every one of many concurrent callers (the hop server's per-turn batching, its cap of 32 rows per trip
// when it runs the model, and its wake-ups must lose none of them).

import * as path from 'node:path';
import { ModelInferRequest, ModelInferResponse } from '../../generated/inference/grpc_service';
import { REPO_ROOT, startBenchServer } from '../../bench/server-process';
import { RawClient } from '../support/raw-client';

const METHOD = '/inference.GRPCInferenceService/ModelInfer';

const request = Buffer.from(
  ModelInferRequest.encode({
    modelName: 'tiny',
    modelVersion: '',
    id: '',
    parameters: {},
    inputs: [{ name: 'INPUT', datatype: 'FP32', shape: [2n, 64n], parameters: {}, contents: undefined }],
    outputs: [],
    rawInputContents: [Buffer.alloc(2 * 64 * 4, 7)],
  }).finish(),
);

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

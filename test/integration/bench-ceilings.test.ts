// The suite's transport ceilings answer like a model server: the bare echo and the echo through a worker-thread
// round trip each return a ModelInferResponse with the model's output shape to every one of many concurrent
// callers (the hop server's per-turn batching and its wake-ups must lose none of them).

import { ModelInferRequest, ModelInferResponse } from '../../generated/inference/grpc_service';
import { startBenchServer } from '../../bench/server-process';
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

test.each(['echo-server.js', 'hop-echo-server.js'])('%s answers 200 concurrent calls, rounds of them in one turn', async (script) => {
  const server = await startBenchServer(script, ['tiny', '2', '10']);
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

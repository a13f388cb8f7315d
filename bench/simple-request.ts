// The request the single-model benchmarks send: one `simple` ModelInfer, batch 1, raw INT32 inputs.

import type { ModelInferRequest } from '../generated/inference/grpc_service';

export const SIMPLE_REQUEST: ModelInferRequest = {
  modelName: 'simple',
  modelVersion: '',
  id: '',
  parameters: {},
  inputs: ['INPUT0', 'INPUT1'].map((name) => ({ name, datatype: 'INT32', shape: [1n, 16n], parameters: {}, contents: undefined })),
  outputs: [],
  rawInputContents: [Buffer.from(new Int32Array(16).fill(3).buffer), Buffer.from(new Int32Array(16).fill(4).buffer)],
};

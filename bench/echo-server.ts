// The transport ceiling: a bare grpc-js server whose ModelInfer answers every request, without decoding it, with
// a pre-encoded ModelInferResponse of the size the real model would send (OUTPUT [rows, outDim] FP32). Run as
// its own process: `node dist/bench/echo-server.js <model> <rows> <outDim>`; prints "port N" when serving.

import * as grpc from '@grpc/grpc-js';
import { ModelInferResponse } from '../generated/inference/grpc_service';

function main(): void {
  const [model, rowsText, outDimText] = process.argv.slice(2);
  const rows = Number(rowsText);
  const outDim = Number(outDimText);
  const response = Buffer.from(
    ModelInferResponse.encode({
      modelName: model,
      modelVersion: '1',
      id: '',
      parameters: {},
      outputs: [{ name: 'OUTPUT', datatype: 'FP32', shape: [BigInt(rows), BigInt(outDim)], parameters: {}, contents: undefined }],
      rawOutputContents: [Buffer.alloc(rows * outDim * 4, 1)],
    }).finish(),
  );
  const passthrough = (b: Buffer): Buffer => b;
  const server = new grpc.Server({ 'grpc.max_receive_message_length': -1, 'grpc.max_send_message_length': -1 });
  server.addService(
    {
      ModelInfer: {
        path: '/inference.GRPCInferenceService/ModelInfer',
        requestStream: false,
        responseStream: false,
        requestSerialize: passthrough,
        requestDeserialize: passthrough,
        responseSerialize: passthrough,
        responseDeserialize: passthrough,
      },
    },
    { ModelInfer: (_call: grpc.ServerUnaryCall<Buffer, Buffer>, cb: grpc.sendUnaryData<Buffer>) => cb(null, response) },
  );
  server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (err, port) => {
    if (err) throw err;
    console.log(`port ${port}`);
  });
}

main();

// What the suite's transport ceilings share (echo-server.ts, hop-echo-server.ts): the pre-encoded
// ModelInferResponse of the size the real model would send (OUTPUT [rows, outDim] FP32), and a grpc-js server
// whose ModelInfer takes and gives raw bytes (no protobuf work), listening on a free loopback port and printing
// "port N" once bound.

import * as grpc from '@grpc/grpc-js';
import { ModelInferResponse } from '../generated/inference/grpc_service';

/** The encoded answer of a model `model` with one FP32 output of [rows, outDim]. */
export function encodedResponse(model: string, rows: number, outDim: number): Buffer {
  return Buffer.from(
    ModelInferResponse.encode({
      modelName: model,
      modelVersion: '1',
      id: '',
      parameters: {},
      outputs: [{ name: 'OUTPUT', datatype: 'FP32', shape: [BigInt(rows), BigInt(outDim)], parameters: {}, contents: undefined }],
      rawOutputContents: [Buffer.alloc(rows * outDim * 4, 1)],
    }).finish(),
  );
}

/** Serves ModelInfer with `handle`, request and response as raw bytes; prints "port N" once bound. */
export function serveRawModelInfer(handle: grpc.handleUnaryCall<Buffer, Buffer>): void {
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
    { ModelInfer: handle },
  );
  server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (err, port) => {
    if (err) throw err;
    console.log(`port ${port}`);
  });
}

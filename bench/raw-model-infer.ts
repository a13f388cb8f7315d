// What the suite's transport ceilings share (echo-server.ts, hop-echo-server.ts): the ModelInferResponse of the
// size the real model would send (OUTPUT [rows, outDim] FP32), pre-encoded or encoded from one request's own output
// rows (the minimal OIP server), and a grpc-js server
// whose ModelInfer takes and gives raw bytes (no protobuf work), listening on a free loopback port and printing
// "port N" once bound.

import * as grpc from '@grpc/grpc-js';
import { ModelInferResponse } from '../generated/inference/grpc_service';

/** The encoded answer to request `id` of a model `model` whose one FP32 output of [rows, outDim] is `raw`. */
export function encodeResponse(model: string, id: string, rows: number, outDim: number, raw: Buffer): Buffer {
  const bytes = ModelInferResponse.encode({
    modelName: model,
    modelVersion: '1',
    id,
    parameters: {},
    outputs: [{ name: 'OUTPUT', datatype: 'FP32', shape: [BigInt(rows), BigInt(outDim)], parameters: {}, contents: undefined }],
    rawOutputContents: [raw],
  }).finish();
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/** The encoded answer of a model `model` with one FP32 output of [rows, outDim] (the same for every request). */
export function encodedResponse(model: string, rows: number, outDim: number): Buffer {
  return encodeResponse(model, '', rows, outDim, Buffer.alloc(rows * outDim * 4, 1));
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

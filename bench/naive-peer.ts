// The naive peer: the server a user might write in an afternoon. A @grpc/proto-loader GRPCInferenceService with
// only ModelInfer, onnxruntime-node on the main thread, one session.run per request, no batching, raw FP32
// contents in and out. Run as its own process: `node dist/bench/naive-peer.js <model.onnx>`; prints "port N".

import * as path from 'node:path';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import * as ort from 'onnxruntime-node';

interface InferInput {
  name: string;
  datatype: string;
  shape: string[];
}

interface InferRequestMsg {
  model_name: string;
  id: string;
  inputs: InferInput[];
  raw_input_contents: Buffer[];
}

async function main(): Promise<void> {
  const session = await ort.InferenceSession.create(process.argv[2]);
  const protoDir = path.resolve(__dirname, '../../proto');
  const def = protoLoader.loadSync(path.join(protoDir, 'inference/grpc_service.proto'), { includeDirs: [protoDir], keepCase: true, longs: String, defaults: true });
  const pkg = grpc.loadPackageDefinition(def) as unknown as { inference: { GRPCInferenceService: { service: grpc.ServiceDefinition } } };
  const server = new grpc.Server({ 'grpc.max_receive_message_length': -1, 'grpc.max_send_message_length': -1 });
  server.addService(pkg.inference.GRPCInferenceService.service, {
    ModelInfer: (call: grpc.ServerUnaryCall<InferRequestMsg, unknown>, cb: grpc.sendUnaryData<unknown>) => {
      const req = call.request;
      const feeds: Record<string, ort.Tensor> = {};
      req.inputs.forEach((input, i) => {
        const raw = req.raw_input_contents[i];
        const data = new Float32Array(raw.buffer.slice(raw.byteOffset, raw.byteOffset + raw.byteLength));
        feeds[input.name] = new ort.Tensor('float32', data, input.shape.map(Number));
      });
      session.run(feeds).then(
        (out) => {
          const names = Object.keys(out);
          cb(null, {
            model_name: req.model_name,
            model_version: '1',
            id: req.id,
            outputs: names.map((n) => ({ name: n, datatype: 'FP32', shape: out[n].dims.map(String) })),
            raw_output_contents: names.map((n) => Buffer.from((out[n].data as Float32Array).buffer)),
          });
        },
        (err: Error) => cb({ code: grpc.status.INTERNAL, details: err.message }),
      );
    },
  });
  server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (err, port) => {
    if (err) throw err;
    console.log(`port ${port}`);
  });
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});

// The reference for the streaming benchmark: a bare grpc-js server, in its own process, whose ModelStreamInfer
// answers every request at once with a response of the same size inferd sends for `simple` (the request's raw
// inputs returned as OUTPUT0/OUTPUT1). Prints "port N" once bound.

import * as grpc from '@grpc/grpc-js';
import {
  GRPCInferenceServiceService,
  type ModelInferRequest,
  type ModelStreamInferResponse,
} from '../generated/inference/grpc_service';

function echo(call: grpc.ServerDuplexStream<ModelInferRequest, ModelStreamInferResponse>): void {
  call.on('data', (req: ModelInferRequest) => {
    call.write({
      errorMessage: '',
      inferResponse: {
        modelName: req.modelName,
        modelVersion: '1',
        id: req.id,
        parameters: { triton_final_response: { boolParam: true } },
        outputs: req.inputs.map((t, i) => ({ name: `OUTPUT${i}`, datatype: t.datatype, shape: t.shape, parameters: {}, contents: undefined })),
        rawOutputContents: req.rawInputContents,
      },
    });
  });
  call.on('end', () => call.end());
}

if (require.main === module) {
  const server = new grpc.Server();
  server.addService(GRPCInferenceServiceService, { modelStreamInfer: echo } as unknown as grpc.UntypedServiceImplementation);
  server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (err, port) => {
    if (err) throw err;
    process.stdout.write(`port ${port}\n`);
  });
}

// A streaming client in its own process, for flow-control tests: it opens ModelStreamInfer on argv[2], sends one
// request to the `counter` fixture (argv[3] steps, streaming NEXT and the large FILL output), reads everything and
// prints "first" once the first response arrived. The test stops it (SIGSTOP) to make a reader that reads nothing,
// so the server meets real HTTP/2 and TCP back-pressure; SIGCONT resumes it, SIGKILL makes it disappear.

import * as grpc from '@grpc/grpc-js';
import { GRPCInferenceServiceClient } from '../../generated/inference/grpc_service';

const [address, steps] = process.argv.slice(2);
const client = new GRPCInferenceServiceClient(address, grpc.credentials.createInsecure());
const stream = client.modelStreamInfer();
let received = 0;
stream.on('data', () => {
  if (received++ === 0) process.stdout.write('first\n');
});
stream.on('error', () => process.exit(1));
stream.on('end', () => process.exit(0));
stream.write({
  modelName: 'counter',
  modelVersion: '',
  id: 'slow',
  parameters: { max_tokens: { int64Param: BigInt(steps) } },
  inputs: [{ name: 'COUNT', datatype: 'INT64', shape: [1n, 1n], parameters: {}, contents: undefined }],
  outputs: [
    { name: 'NEXT', parameters: {} },
    { name: 'FILL', parameters: {} },
  ],
  rawInputContents: [Buffer.from(new BigInt64Array([0n]).buffer)],
});

// The transport ceiling: a bare grpc-js server whose ModelInfer answers every request, without decoding it, with
// a pre-encoded ModelInferResponse of the size the real model would send (OUTPUT [rows, outDim] FP32). Run as
// its own process: `node dist/bench/echo-server.js <model> <rows> <outDim>`; prints "port N" when serving.

import { encodedResponse, serveRawModelInfer } from './raw-model-infer';

const [model, rows, outDim] = process.argv.slice(2);
const response = encodedResponse(model, Number(rows), Number(outDim));
serveRawModelInfer((_call, answer) => answer(null, response));

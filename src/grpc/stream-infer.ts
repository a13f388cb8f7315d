// The ModelStreamInfer handler: binds one grpc-js duplex call to a protocol-neutral InferStream
// (dataplane/stream-infer.ts). Decodes each request (a bad one is answered with `error_message`), encodes each
// response as ModelStreamInferResponse, and maps grpc-js flow control (write() false / 'drain', pause/resume),
// half-close ('end') and cancellation ('cancelled', 'error') onto the stream. Telemetry: one RPC span per stream
// and a child span per request, under which the request's queue and compute spans nest.

import { status, type ServerDuplexStream } from '@grpc/grpc-js';
import type { DataPlane } from '../dataplane/dataplane';
import { InferStream, type StreamMessage } from '../dataplane/stream-infer';
import { InferError } from '../errors';
import type { Logger } from '../telemetry/logger';
import type { RpcTelemetry } from '../telemetry/rpc-telemetry';
import { metadataReader, SERVICE_NAME } from './call-metadata';
import { malformedRequestError } from './malformed-messages';
import type { ModelInferRequest, ModelStreamInferResponse } from '../../generated/inference/grpc_service';
import { toInferRequest, toModelInferResponse, wantsTypedOutput } from './convert';

type StreamCall = ServerDuplexStream<ModelInferRequest, ModelStreamInferResponse>;

function errorMessage(error: unknown, log: Logger): string {
  if (error instanceof InferError) return error.message;
  log.error({ method: 'ModelStreamInfer', err: error }, 'internal error');
  return `internal error: ${error instanceof Error ? error.message : String(error)}`;
}

function encode(message: StreamMessage, log: Logger): ModelStreamInferResponse {
  if (message.kind === 'response') {
    return { errorMessage: '', inferResponse: toModelInferResponse(message.response, wantsTypedOutput(message.request)) };
  }
  const r = message.request;
  return {
    errorMessage: errorMessage(message.error, log),
    inferResponse: {
      modelName: r.modelName,
      modelVersion: r.modelVersion,
      id: r.id,
      parameters: {},
      outputs: [],
      rawOutputContents: [],
    },
  };
}

export function handleModelStreamInfer(
  dataplane: DataPlane,
  log: Logger,
  telemetry: RpcTelemetry,
): (call: StreamCall) => void {
  return (call) => {
    const rpc = telemetry.begin(SERVICE_NAME, 'ModelStreamInfer', 'bidi_stream', metadataReader(call.metadata));
    let ended = false;
    const endRpc = (code: status): void => {
      if (ended) return;
      ended = true;
      rpc.end(code, status[code]);
    };
    const stream = new InferStream(dataplane, {
      write: (message, flushed) => call.write(encode(message, log), () => flushed()),
      pauseRequests: () => call.pause(),
      resumeRequests: () => call.resume(),
      end: () => {
        call.end();
        endRpc(status.OK);
      },
    });
    call.on('data', (msg: ModelInferRequest) => {
      const span = rpc.requestSpan();
      const malformed = malformedRequestError('ModelStreamInfer', msg);
      if (malformed) {
        span.end(malformed);
        stream.rejected({ id: '', modelName: '', modelVersion: '' }, malformed);
        return;
      }
      try {
        const request = toInferRequest(msg);
        request.trace = span.context;
        stream.request(request, (error) => span.end(error));
      } catch (err) {
        span.end(err);
        stream.rejected({ id: msg.id, modelName: msg.modelName, modelVersion: msg.modelVersion }, err);
      }
    });
    const cancel = (): void => {
      stream.cancel();
      endRpc(status.CANCELLED);
    };
    call.on('end', () => stream.halfClose());
    call.on('drain', () => stream.drained());
    call.on('cancelled', cancel);
    call.on('error', cancel);
  };
}

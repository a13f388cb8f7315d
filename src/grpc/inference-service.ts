// The GRPCInferenceService handlers: each RPC decodes its message (convert.ts), calls the data plane, and
// answers with a status from status.ts. Client cancellation and deadlines abort the request's Cancellation.
// ModelStreamInfer lives in stream-infer.ts. Every call is observed (span continuing the caller's trace, gRPC metrics) through telemetry's RpcTelemetry.

import { Metadata, status, type ServerUnaryCall, type ServerDuplexStream, type sendUnaryData } from '@grpc/grpc-js';
import type { DataPlane } from '../dataplane/dataplane';
import { Cancellation } from '../dataplane/types';
import { InferError } from '../errors';
import type { Logger } from '../telemetry/logger';
import { RpcTelemetry, type RpcObservation } from '../telemetry/rpc-telemetry';
import type {
  GRPCInferenceServiceServer,
  ModelInferRequest,
  ModelStreamInferResponse,
} from '../../generated/inference/grpc_service';
import {
  toInferRequest,
  toModelIndex,
  toModelInferResponse,
  toModelMetadataResponse,
  toModelStatistics,
  toProtoModelConfig,
  wantsTypedOutput,
} from './convert';
import { isInternal, toServiceError } from './status';
import { handleModelStreamInfer } from './stream-infer';
import { metadataReader, SERVICE_NAME } from './call-metadata';
import { malformedRequestError } from './malformed-messages';

type Handler<Req, Res> = (
  request: Req,
  call: ServerUnaryCall<Req, Res>,
  rpc: RpcObservation,
  header: (key: string) => string | undefined,
) => Res | Promise<Res>;

type CancellableCall = { on(event: 'cancelled', listener: () => void): unknown; getDeadline?(): Date | number };

/**
 * A call's Cancellation: it aborts with DEADLINE_EXCEEDED when the call's deadline passes, CANCELLED when the client
 * cancels. grpc-js also reports every call that ended normally as 'cancelled'; the handler sets `answered` once it
 * is done, so no error is built for those.
 */
export interface CallSignal {
  readonly call: CancellableCall;
  readonly signal: Cancellation;
  answered: boolean;
}

// The 'cancelled' listener is one module function bound to the call's CallSignal, not a closure made per call: under
// load V8 optimizes closures made per call again and again (several TurboFan compiles a second, measured).
function onCallCancelled(this: CallSignal): void {
  if (this.answered) return;
  const deadline = this.call.getDeadline?.() ?? Infinity;
  const deadlineMs = deadline instanceof Date ? deadline.getTime() : deadline;
  const expired = Number.isFinite(deadlineMs) && Date.now() >= deadlineMs;
  this.signal.abort(
    expired
      ? new InferError('DEADLINE_EXCEEDED', 'the call deadline passed before the request finished')
      : new InferError('CANCELLED', 'the client cancelled the request'),
  );
}

export function callSignal(call: CancellableCall): CallSignal {
  const cs: CallSignal = { call, signal: new Cancellation(), answered: false };
  call.on('cancelled', onCallCancelled.bind(cs));
  return cs;
}

/** What answering one unary call needs. */
interface UnaryAnswer<Res> {
  method: string;
  rpc: RpcObservation;
  callback: sendUnaryData<Res>;
  log: Logger;
}

// Answering is done by module functions, not closures made per call: V8 drops the optimized code of closures
// that no longer exist on major GCs and would compile each call's closures again and again under load.
function succeedUnary<Res>(answer: UnaryAnswer<Res>, res: Res): void {
  answer.rpc.end(status.OK, 'OK');
  answer.callback(null, res);
}

function failUnary<Res>(answer: UnaryAnswer<Res>, err: unknown): void {
  const { method, rpc, log } = answer;
  const serviceError = toServiceError(err);
  if (isInternal(err)) log.error({ method, err, ...rpc.logFields() }, 'internal error');
  else log.debug({ method, err: (err as Error).message, ...rpc.logFields() }, 'request rejected');
  rpc.end(serviceError.code, status[serviceError.code], err);
  answer.callback(serviceError);
}

async function settleUnary<Res>(answer: UnaryAnswer<Res>, result: Promise<Res>): Promise<void> {
  let res: Res;
  try {
    res = await result;
  } catch (err) {
    failUnary(answer, err);
    return;
  }
  succeedUnary(answer, res);
}

export function createInferenceService(
  dataplane: DataPlane,
  log: Logger,
  telemetry = new RpcTelemetry(null, null),
): GRPCInferenceServiceServer {
  const unary =
    <Req, Res>(method: string, fn: Handler<Req, Res>) =>
    (call: ServerUnaryCall<Req, Res>, callback: sendUnaryData<Res>): void => {
      const header = metadataReader(call.metadata);
      const answer: UnaryAnswer<Res> = { method, rpc: telemetry.begin(SERVICE_NAME, method, 'unary', header), callback, log };
      const malformed = malformedRequestError(method, call.request);
      if (malformed) {
        failUnary(answer, malformed);
        return;
      }
      // Called directly (no extra promise turn for a synchronous handler); a synchronous throw fails the call
      // like a rejection.
      let result: Res | Promise<Res>;
      try {
        result = fn(call.request, call, answer.rpc, header);
      } catch (err) {
        failUnary(answer, err);
        return;
      }
      if (result instanceof Promise) void settleUnary(answer, result);
      else succeedUnary(answer, result);
    };

  return {
    serverLive: unary('ServerLive', () => ({ live: dataplane.serverLive() })),
    serverReady: unary('ServerReady', () => ({ ready: dataplane.serverReady() })),
    modelReady: unary('ModelReady', (r) => ({ ready: dataplane.modelReady(r.name, r.version) })),
    serverMetadata: unary('ServerMetadata', () => dataplane.serverMetadata()),
    modelMetadata: unary('ModelMetadata', (r) => toModelMetadataResponse(dataplane.modelMetadata(r.name, r.version))),
    modelInfer: unary('ModelInfer', async (r: ModelInferRequest, call, rpc, header) => {
      const cancel = callSignal(call);
      const request = toInferRequest(r, cancel.signal);
      request.header = header;
      request.trace = rpc.context;
      try {
        const response = await dataplane.infer(request);
        return toModelInferResponse(response, wantsTypedOutput(request));
      } finally {
        cancel.answered = true;
      }
    }),
    modelStreamInfer: handleModelStreamInfer(dataplane, log, telemetry),
    modelConfig: unary('ModelConfig', (r) => ({ config: toProtoModelConfig(dataplane.modelConfig(r.name, r.version)) })),
    modelStatistics: unary('ModelStatistics', (r) => ({
      modelStats: dataplane.modelStatistics(r.name, r.version).map(toModelStatistics),
    })),
    repositoryIndex: unary('RepositoryIndex', async (r) => ({
      models: (await dataplane.repositoryIndex(r.ready)).map(toModelIndex),
    })),
    repositoryModelLoad: unary('RepositoryModelLoad', async (r) => {
      const params = Object.fromEntries(
        Object.entries(r.parameters).map(([k, v]) => [k, v.boolParam ?? v.int64Param ?? v.stringParam ?? '<bytes>']),
      );
      await dataplane.loadModel(r.modelName, params);
      return {};
    }),
    repositoryModelUnload: unary('RepositoryModelUnload', async (r) => {
      await dataplane.unloadModel(r.modelName);
      return {};
    }),
  };
}


// The GRPCInferenceService handlers: each RPC decodes its message (convert.ts), calls the data plane, and
// answers with a status from status.ts. Client cancellation and deadlines abort the request's AbortSignal.
// ModelStreamInfer lives in stream-infer.ts.

import type { ServerUnaryCall, sendUnaryData } from '@grpc/grpc-js';
import type { DataPlane } from '../dataplane/dataplane';
import { InferError } from '../errors';
import type { Logger } from '../telemetry/logger';
import type { GRPCInferenceServiceServer, ModelInferRequest } from '../../generated/inference/grpc_service';
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

type Handler<Req, Res> = (request: Req, call: ServerUnaryCall<Req, Res>) => Res | Promise<Res>;

/** AbortSignal that fires when the client cancels the call or its deadline passes. */
export function callSignal(call: { on(event: 'cancelled', listener: () => void): unknown }): AbortSignal {
  const controller = new AbortController();
  call.on('cancelled', () => controller.abort(new InferError('CANCELLED', 'the client cancelled the request')));
  return controller.signal;
}

export function createInferenceService(dataplane: DataPlane, log: Logger): GRPCInferenceServiceServer {
  const unary =
    <Req, Res>(method: string, fn: Handler<Req, Res>) =>
    (call: ServerUnaryCall<Req, Res>, callback: sendUnaryData<Res>): void => {
      Promise.resolve()
        .then(() => fn(call.request, call))
        .then(
          (res) => callback(null, res),
          (err: unknown) => {
            if (isInternal(err)) log.error({ method, err }, 'internal error');
            else log.debug({ method, err: (err as Error).message }, 'request rejected');
            callback(toServiceError(err));
          },
        );
    };

  return {
    serverLive: unary('ServerLive', () => ({ live: dataplane.serverLive() })),
    serverReady: unary('ServerReady', () => ({ ready: dataplane.serverReady() })),
    modelReady: unary('ModelReady', (r) => ({ ready: dataplane.modelReady(r.name, r.version) })),
    serverMetadata: unary('ServerMetadata', () => dataplane.serverMetadata()),
    modelMetadata: unary('ModelMetadata', (r) => toModelMetadataResponse(dataplane.modelMetadata(r.name, r.version))),
    modelInfer: unary('ModelInfer', async (r: ModelInferRequest, call) => {
      const request = toInferRequest(r, callSignal(call));
      const response = await dataplane.infer(request);
      return toModelInferResponse(response, wantsTypedOutput(request));
    }),
    modelStreamInfer: handleModelStreamInfer(dataplane, log),
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


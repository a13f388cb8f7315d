// The data plane's own request and response types, shared by every transport. No generated protobuf type
// reaches past the transport; each transport converts in one file (grpc/convert.ts for gRPC).

import { Cancellation } from '../scheduler/cancellation';
import type { TraceContext } from '../telemetry/tracing';
import type { Tensor } from '../tensor/tensor';

/** Transports make one per request and abort it with an InferError (they import no scheduler module). */
export { Cancellation };

export type ParamValue = boolean | number | bigint | string;
export type Params = Record<string, ParamValue>;

export interface RequestedOutput {
  name: string;
  parameters: Params;
}

export interface InferRequest {
  modelName: string;
  /** '' = the highest ready version. */
  modelVersion: string;
  id: string;
  parameters: Params;
  inputs: Tensor[];
  /** Empty = every output of the model. */
  outputs: RequestedOutput[];
  /** Aborted when the caller cancels or its deadline passes. */
  signal?: Cancellation;
  /** Reads one entry of the call metadata (gRPC) or headers by lower-case key; used for a traffic split's sticky key. */
  header?: (key: string) => string | undefined;
  /** Trace context of the transport's span for this request (absent when not traced). */
  trace?: TraceContext;
}

export interface InferResponse {
  modelName: string;
  modelVersion: string;
  id: string;
  parameters: Params;
  outputs: Tensor[];
}

export interface TensorMetadata {
  name: string;
  datatype: string;
  /** -1 for a variable dim, including the batch dim of a batching model. */
  shape: number[];
}

export interface ModelMetadata {
  name: string;
  versions: string[];
  platform: string;
  inputs: TensorMetadata[];
  outputs: TensorMetadata[];
}

export interface ServerMetadata {
  name: string;
  version: string;
  extensions: string[];
}

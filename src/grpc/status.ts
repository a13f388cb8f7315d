// Maps errors to gRPC statuses, once for the whole transport: InferError codes map by name; anything else is a
// bug in inferd and becomes INTERNAL (and is logged by the caller). Host paths never reach the client.

import { Metadata, status, type ServiceError } from '@grpc/grpc-js';
import { InferError } from '../errors';
import { scrubHostPaths } from '../security/host-paths';

export function toServiceError(err: unknown): ServiceError {
  const known = err instanceof InferError;
  const code = known ? status[err.code] : status.INTERNAL;
  const message = scrubHostPaths(err instanceof Error ? err.message : String(err));
  const details = known ? message : `internal error: ${message}`;
  return Object.assign(new Error(details), { code, details, metadata: new Metadata() });
}

export function isInternal(err: unknown): boolean {
  return !(err instanceof InferError) || err.code === 'INTERNAL';
}

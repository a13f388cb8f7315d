// The one error type thrown below the transports. Each transport maps `code` to its own status once
// (grpc/status.ts for gRPC). A leaf module: every layer may import it, it imports nothing.

export type ErrorCode =
  | 'INVALID_ARGUMENT'
  | 'NOT_FOUND'
  | 'UNAVAILABLE'
  | 'RESOURCE_EXHAUSTED'
  | 'DEADLINE_EXCEEDED'
  | 'CANCELLED'
  | 'FAILED_PRECONDITION'
  | 'ALREADY_EXISTS'
  | 'UNIMPLEMENTED'
  | 'INTERNAL';

export class InferError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'InferError';
  }
}

export const invalidArgument = (message: string): InferError => new InferError('INVALID_ARGUMENT', message);
export const notFound = (message: string): InferError => new InferError('NOT_FOUND', message);
export const unavailable = (message: string): InferError => new InferError('UNAVAILABLE', message);

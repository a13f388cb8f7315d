// Malformed request bytes get INVALID_ARGUMENT, not grpc-js's INTERNAL "Error deserializing request": the OIP
// service's deserializers never throw but hand on a marker with the decoder's complaint, and the service's handlers
// answer the marker (malformedRequestError) with a status naming the method: a unary call fails, a stream answers
// that message with its error_message and goes on.

import type { ServiceDefinition } from '@grpc/grpc-js';
import { InferError } from '../errors';

const MALFORMED = Symbol('malformed request message');

interface Malformed {
  [MALFORMED]: string;
}

export const isMalformed = (m: unknown): m is Malformed => typeof m === 'object' && m !== null && MALFORMED in m;

export function withTolerantDeserializers<T extends ServiceDefinition>(service: T): T {
  const out: Record<string, unknown> = {};
  for (const [key, method] of Object.entries(service)) {
    out[key] = {
      ...method,
      requestDeserialize: (bytes: Buffer): unknown => {
        try {
          return method.requestDeserialize(bytes);
        } catch (err) {
          return { [MALFORMED]: err instanceof Error ? err.message : String(err) };
        }
      },
    };
  }
  return out as T;
}

/** INVALID_ARGUMENT naming the method, for a request the tolerant deserializer could not decode; null otherwise. */
export function malformedRequestError(method: string, message: unknown): InferError | null {
  if (!isMalformed(message)) return null;
  const complaint = message[MALFORMED];
  return new InferError('INVALID_ARGUMENT', `${method}: the request is not a valid protobuf message for this method: ${complaint}`);
}

// Malformed request bytes get INVALID_ARGUMENT, not grpc-js's INTERNAL "Error deserializing request": the OIP
// service's deserializers never throw but hand on a marker with the decoder's complaint, and an interceptor (the
// first on the way in) answers the marker with a status naming the method and the message type.

import { ServerInterceptingCall, status, type ServerInterceptor, type ServiceDefinition } from '@grpc/grpc-js';

const MALFORMED = Symbol('malformed request message');

interface Malformed {
  [MALFORMED]: string;
}

const isMalformed = (m: unknown): m is Malformed => typeof m === 'object' && m !== null && MALFORMED in m;

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

export const malformedMessageInterceptor: ServerInterceptor = (descriptor, call) =>
  new ServerInterceptingCall(call, {
    start: (next) =>
      next({
        onReceiveMessage: (message, nextMessage) => {
          if (!isMalformed(message)) return nextMessage(message);
          const method = descriptor.path.slice(descriptor.path.lastIndexOf('/') + 1);
          call.sendStatus({
            code: status.INVALID_ARGUMENT,
            details: `${method}: the request is not a valid protobuf message for this method: ${message[MALFORMED]}`,
          });
        },
      }),
  });

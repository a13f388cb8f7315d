// A grpc-js client that sends and receives raw protobuf bytes on any method path, so tests can put arbitrary
// (malformed, hostile) bytes on the wire and reach services without generated stubs (health, reflection).

import * as grpc from '@grpc/grpc-js';

const identity = (b: Buffer): Buffer => b;

export class RawClient extends grpc.Client {
  constructor(address: string, credentials = grpc.credentials.createInsecure(), options: grpc.ClientOptions = {}) {
    super(address, credentials, options);
  }

  unary(
    method: string,
    body: Buffer,
    metadata = new grpc.Metadata(),
    options: grpc.CallOptions = { deadline: Date.now() + 30_000 },
  ): Promise<{ ok: true; body: Buffer } | { ok: false; error: grpc.ServiceError }> {
    return new Promise((resolve) =>
      this.makeUnaryRequest(method, identity, identity, body, metadata, options, (error, res) =>
        resolve(error ? { ok: false, error } : { ok: true, body: res as Buffer }),
      ),
    );
  }

  /** Sends messages on a bidi stream (one body or several, in order), half-closes, and collects the answers or the error. */
  bidiOnce(
    method: string,
    body: Buffer | Buffer[],
    metadata = new grpc.Metadata(),
  ): Promise<{ ok: true; bodies: Buffer[] } | { ok: false; error: grpc.ServiceError }> {
    return new Promise((resolve) => {
      const stream = this.makeBidiStreamRequest(method, identity, identity, metadata, { deadline: Date.now() + 30_000 });
      const bodies: Buffer[] = [];
      stream.on('data', (b: Buffer) => bodies.push(b));
      stream.on('error', (error: grpc.ServiceError) => resolve({ ok: false, error }));
      stream.on('end', () => resolve({ ok: true, bodies }));
      for (const b of Array.isArray(body) ? body : [body]) stream.write(b);
      stream.end();
    });
  }
}

export const HEALTH_CHECK = '/grpc.health.v1.Health/Check';
export const REFLECTION = '/grpc.reflection.v1.ServerReflection/ServerReflectionInfo';
export const MODEL_INFER = '/inference.GRPCInferenceService/ModelInfer';
export const MODEL_STREAM_INFER = '/inference.GRPCInferenceService/ModelStreamInfer';
/** Bytes no ModelInferRequest decoder accepts: model_name (field 1) declaring 2^31-1 bytes, then 3 bytes. */
export const UNDECODABLE = Buffer.from([0x0a, 0xff, 0xff, 0xff, 0xff, 0x07, 0x61, 0x62, 0x63]);
/** ServerReflectionRequest { list_services: "" } */
export const LIST_SERVICES = Buffer.from([0x3a, 0x00]);

// Builds the grpc-js server: the OIP inference service, grpc.health.v1 and server reflection (so grpcurl works
// without a .proto file), with the configured message size limits.

import * as path from 'node:path';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { ReflectionService } from '@grpc/reflection';
import { protoPath as healthProtoPath } from 'grpc-health-check';
import type { DataPlane } from '../dataplane/dataplane';
import type { Logger } from '../telemetry/logger';
import type { RpcTelemetry } from '../telemetry/rpc-telemetry';
import { GRPCInferenceServiceService } from '../../generated/inference/grpc_service';
import { connectionServerOptions, type ConnectionSettings } from './connection-options';
import type { HealthStatus } from './health';
import { createInferenceService } from './inference-service';
import { withReusedResponseWriters } from './response-encoding';
import { withTolerantDeserializers } from './malformed-messages';

/** The OIP .proto files shipped with inferd (proto/ at the package root). */
export const PROTO_DIR = path.resolve(__dirname, '../../../proto');

export interface GrpcServerOptions extends ConnectionSettings {
  maxMessageBytes: number;
  /** Run on every call, first to last on the way in (security: src/security/security-interceptor.ts). */
  interceptors?: grpc.ServerInterceptor[];
}

export function createGrpcServer(
  dataplane: DataPlane,
  health: HealthStatus,
  options: GrpcServerOptions,
  log: Logger,
  telemetry?: RpcTelemetry,
): grpc.Server {
  const server = new grpc.Server({
    ...connectionServerOptions(options),
    'grpc.max_receive_message_length': options.maxMessageBytes,
    'grpc.max_send_message_length': options.maxMessageBytes,
    // inferd serves no channelz service; grpc-js's per-call channelz bookkeeping would be pure overhead.
    'grpc.enable_channelz': 0,
    interceptors: options.interceptors ?? [],
  });
  server.addService(
    withTolerantDeserializers(withReusedResponseWriters(GRPCInferenceServiceService)),
    createInferenceService(dataplane, log, telemetry),
  );
  health.implementation.addToServer(server);
  const definitions = protoLoader.loadSync(
    [path.join(PROTO_DIR, 'inference/grpc_service.proto'), healthProtoPath],
    { includeDirs: [PROTO_DIR], keepCase: true },
  );
  new ReflectionService(definitions).addToServer(server);
  return server;
}

export function bind(
  server: grpc.Server,
  address: string,
  credentials: grpc.ServerCredentials = grpc.ServerCredentials.createInsecure(),
): Promise<number> {
  return new Promise((resolve, reject) =>
    server.bindAsync(address, credentials, (err, port) => (err ? reject(err) : resolve(port))),
  );
}

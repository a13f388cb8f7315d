// Test harness: an in-process inferd on an ephemeral loopback port, and the two kinds of client a user would
// point at it: the ts-proto client from generated/ and a @grpc/proto-loader client loaded from proto/ (as a
// polyglot client would). Also a temporary copy of a model repository for tests that change files.

import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { DEFAULT_SETTINGS, type ServerSettings } from '../../src/config/server-settings';
import { DEFAULT_TELEMETRY_SETTINGS, type TelemetrySettings } from '../../src/config/telemetry-settings';
import type { Logger } from '../../src/telemetry/logger';
import { InferdServer } from '../../src/server';
import { GRPCInferenceServiceClient } from '../../generated/inference/grpc_service';

export const REPO_ROOT = path.resolve(__dirname, '../../..');
export const MODELS_DIR = path.join(REPO_ROOT, 'models');
export const FIXTURES_DIR = path.join(REPO_ROOT, 'test/fixtures');
export const PROTO_DIR = path.join(REPO_ROOT, 'proto');

export type ServerOverrides = Omit<Partial<ServerSettings>, 'telemetry'> & { telemetry?: Partial<TelemetrySettings> };

/** Settings of a test server: loopback, free ports (gRPC and /metrics), silent logs, then `overrides`. */
export function testSettings(overrides: ServerOverrides = {}): ServerSettings {
  const { telemetry, ...rest } = overrides;
  return {
    ...DEFAULT_SETTINGS,
    grpcHost: '127.0.0.1',
    grpcPort: 0,
    modelRepository: MODELS_DIR,
    intraOpThreads: 1,
    logLevel: 'silent',
    ...rest,
    telemetry: { ...DEFAULT_TELEMETRY_SETTINGS, metricsPort: 0, ...telemetry },
  };
}

export async function startServer(overrides: ServerOverrides = {}, log?: Logger): Promise<InferdServer> {
  return new InferdServer(testSettings(overrides), log).start();
}

/** ts-proto client whose unary methods are awaited with `call(client, 'modelInfer', req)`. */
export function tsProtoClient(address: string): GRPCInferenceServiceClient {
  return new GRPCInferenceServiceClient(address, grpc.credentials.createInsecure());
}

type UnaryMethod<Req, Res> = (
  req: Req,
  metadata: grpc.Metadata,
  options: Partial<grpc.CallOptions>,
  cb: (err: grpc.ServiceError | null, res: Res) => void,
) => grpc.ClientUnaryCall;

/** Awaits one unary call on any grpc-js client (generated or proto-loader). */
export function call<Res>(
  client: grpc.Client,
  method: string,
  request: unknown,
  options: Partial<grpc.CallOptions> = {},
  metadata = new grpc.Metadata(),
): Promise<Res> {
  const fn = (client as unknown as Record<string, UnaryMethod<unknown, Res>>)[method].bind(client);
  return new Promise((resolve, reject) => fn(request, metadata, options, (err, res) => (err ? reject(err) : resolve(res))));
}

/** Resolves to the error of a call that must fail. */
export async function callError(
  client: grpc.Client,
  method: string,
  request: unknown,
  options: Partial<grpc.CallOptions> = {},
): Promise<grpc.ServiceError> {
  try {
    await call(client, method, request, options);
  } catch (err) {
    return err as grpc.ServiceError;
  }
  throw new Error(`${method} succeeded but was expected to fail`);
}

/** A client built the way a Python/Go/Java user's would be: from the .proto files, nothing generated. */
export function protoLoaderClient(address: string): grpc.Client {
  const definition = protoLoader.loadSync(path.join(PROTO_DIR, 'inference/grpc_service.proto'), {
    includeDirs: [PROTO_DIR],
    keepCase: true,
    longs: String,
    enums: String,
    defaults: true,
  });
  const pkg = grpc.loadPackageDefinition(definition) as unknown as {
    inference: { GRPCInferenceService: typeof grpc.Client };
  };
  return new pkg.inference.GRPCInferenceService(address, grpc.credentials.createInsecure());
}

/** Copies model folders (from models/ or test/fixtures/) into a fresh temporary repository. */
export async function tempRepository(models: Record<string, string>): Promise<string> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'inferd-repo-'));
  for (const [name, source] of Object.entries(models)) {
    await fs.cp(source, path.join(dir, name), { recursive: true });
  }
  return dir;
}

export function int32Bytes(values: number[]): Buffer {
  return Buffer.from(new Int32Array(values).buffer);
}

export function int32Values(buf: Uint8Array): number[] {
  return Array.from(new Int32Array(buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength)));
}

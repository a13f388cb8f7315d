// inferd's own code without a transport (`node dist/bench/dataplane.js [tiny|medium]`): 32 callers in this process
// call DataPlane.infer on the tiny (or medium) MLP with dynamic batching, through the scheduler and the worker
// thread, with and without a per-request Cancellation; then the ModelInfer gRPC handler, from request bytes to
// response bytes (protobuf decode, the handler with its cancellation and telemetry, the data plane, protobuf
// encode), called with a bare call object in place of grpc-js's. Prints inferences/s and this process's CPU per
// request (main thread, worker and GC together): what inferd's code costs, hot, before any grpc-js or HTTP/2 work,
// to set beside the same model's server CPU per request from `npm run bench`.

import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { DEFAULT_SETTINGS } from '../src/config/server-settings';
import { DEFAULT_TELEMETRY_SETTINGS } from '../src/config/telemetry-settings';
import { Metadata, type ServerUnaryCall } from '@grpc/grpc-js';
import { Cancellation, type InferRequest } from '../src/dataplane/types';
import { createInferenceService } from '../src/grpc/inference-service';
import { withReusedResponseWriters } from '../src/grpc/response-encoding';
import { InferdServer } from '../src/server';
import { createLogger } from '../src/telemetry/logger';
import {
  GRPCInferenceServiceService,
  type ModelInferRequest,
  type ModelInferResponse,
} from '../generated/inference/grpc_service';
import { REPO_ROOT } from './server-process';

const CALLERS = 32;
const DURATION_MS = Number(process.env.BENCH_DURATION_MS ?? 3000);
const MODELS = { tiny: { dir: 'test/fixtures/tiny_mlp', inDim: 64 }, medium: { dir: 'test/fixtures/medium_mlp', inDim: 512 } } as const;

async function main(): Promise<void> {
  const key = (process.argv[2] ?? 'tiny') as keyof typeof MODELS;
  const model = MODELS[key];
  if (!model) throw new Error(`model: tiny or medium, not ${process.argv[2]}`);
  const repo = await fs.mkdtemp(path.join(os.tmpdir(), 'inferd-dataplane-'));
  await fs.mkdir(path.join(repo, 'm/1'), { recursive: true });
  await fs.copyFile(path.join(REPO_ROOT, model.dir, '1/model.onnx'), path.join(repo, 'm/1/model.onnx'));
  await fs.writeFile(path.join(repo, 'm/config.pbtxt'), 'max_batch_size: 32\ndynamic_batching { }\n');
  const server = await new InferdServer({
    ...DEFAULT_SETTINGS,
    grpcHost: '127.0.0.1',
    grpcPort: 0,
    modelRepository: repo,
    logLevel: 'warn',
    telemetry: { ...DEFAULT_TELEMETRY_SETTINGS, metricsPort: 0 },
  }).start();
  try {
    const input = new Float32Array(model.inDim).fill(0.5);
    const request = (cancellable: boolean): InferRequest => ({
      modelName: 'm',
      modelVersion: '',
      id: '',
      parameters: {},
      outputs: [],
      inputs: [{ name: 'INPUT', datatype: 'FP32', shape: [1, model.inDim], data: input }],
      signal: cancellable ? new Cancellation() : undefined,
    });
    const method = withReusedResponseWriters(GRPCInferenceServiceService).modelInfer;
    const handlers = createInferenceService(server.dataplane, createLogger({ level: 'warn' }), server.telemetry.rpc);
    const requestBytes = method.requestSerialize({
      modelName: 'm',
      modelVersion: '',
      id: '',
      parameters: {},
      inputs: [{ name: 'INPUT', datatype: 'FP32', shape: [1n, BigInt(model.inDim)], parameters: {}, contents: undefined }],
      outputs: [],
      rawInputContents: [Buffer.from(input.buffer)],
    });
    /** One ModelInfer through the gRPC handler, bytes in and bytes out; the call object has what the handler reads. */
    const viaHandler = (): Promise<void> =>
      new Promise((resolve, reject) => {
        const call = { request: method.requestDeserialize(requestBytes), metadata: new Metadata(), on: () => call, getDeadline: () => Infinity };
        handlers.modelInfer(call as unknown as ServerUnaryCall<ModelInferRequest, ModelInferResponse>, (err, response) => {
          if (err || !response) return reject(err ?? new Error('ModelInfer answered nothing'));
          method.responseSerialize(response);
          resolve();
        });
      });
    const ways: Array<[string, () => Promise<unknown>]> = [
      ['DataPlane.infer, no cancellation', () => server.dataplane.infer(request(false))],
      ['DataPlane.infer, a Cancellation each', () => server.dataplane.infer(request(true))],
      ['ModelInfer handler, bytes to bytes', viaHandler],
    ];
    const measure = async (once: () => Promise<unknown>): Promise<{ perS: number; cpuUs: number }> => {
      let n = 0;
      const end = Date.now() + DURATION_MS;
      const cpu0 = process.cpuUsage();
      const t0 = process.hrtime.bigint();
      const caller = async (): Promise<void> => {
        while (Date.now() < end) {
          await once();
          n++;
        }
      };
      await Promise.all(Array.from({ length: CALLERS }, caller));
      const cpu = process.cpuUsage(cpu0);
      return { perS: n / (Number(process.hrtime.bigint() - t0) / 1e9), cpuUs: (cpu.user + cpu.system) / n };
    };
    for (const [, once] of ways) await measure(once); // warm-up
    console.log(`inferd in process, ${key} MLP with dynamic batching, ${CALLERS} callers, ${DURATION_MS} ms each, two rounds`);
    for (const [what, once] of [...ways, ...ways]) {
      const r = await measure(once);
      console.log(`  ${what.padEnd(38)} ${Math.round(r.perS).toString().padStart(7)} inferences/s  ${r.cpuUs.toFixed(1)} µs CPU per request`);
    }
  } finally {
    await server.stop();
    await fs.rm(repo, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});

// Round-trip latency of one `simple` ModelInfer at concurrency 1 (server in its own process) next to
// onnxruntime's session.run on the same model in-process, measured in the same run.

import * as path from 'node:path';
import * as grpc from '@grpc/grpc-js';
import * as ort from 'onnxruntime-node';
import { GRPCInferenceServiceClient, type ModelInferResponse } from '../generated/inference/grpc_service';
import { startServerProcess, REPO_ROOT } from './server-process';
import { nowUs, percentiles, type Percentiles } from './stats';
import { SIMPLE_REQUEST } from './simple-request';

const WARMUP = 300;
const N = 3000;

async function rawOnnxruntime(): Promise<Percentiles> {
  const session = await ort.InferenceSession.create(path.join(REPO_ROOT, 'models/simple/1/model.onnx'), {
    intraOpNumThreads: 1,
  });
  const a = new Int32Array(16).fill(3);
  const b = new Int32Array(16).fill(4);
  const samples: number[] = [];
  for (let i = 0; i < WARMUP + N; i++) {
    const t0 = nowUs();
    await session.run({ INPUT0: new ort.Tensor('int32', a, [1, 16]), INPUT1: new ort.Tensor('int32', b, [1, 16]) });
    if (i >= WARMUP) samples.push(nowUs() - t0);
  }
  await session.release();
  return percentiles(samples);
}

async function inferd(address: string): Promise<Percentiles> {
  const client = new GRPCInferenceServiceClient(address, grpc.credentials.createInsecure());
  const request = SIMPLE_REQUEST;
  const once = () =>
    new Promise<ModelInferResponse>((resolve, reject) => client.modelInfer(request, (e, r) => (e ? reject(e) : resolve(r))));
  const samples: number[] = [];
  for (let i = 0; i < WARMUP + N; i++) {
    const t0 = nowUs();
    await once();
    if (i >= WARMUP) samples.push(nowUs() - t0);
  }
  client.close();
  return percentiles(samples);
}

const fmt = (p: Percentiles): string => `p50 ${p.p50.toFixed(0)} µs, p90 ${p.p90.toFixed(0)} µs, p99 ${p.p99.toFixed(0)} µs`;

export async function simpleLatency(): Promise<void> {
  const engine = await rawOnnxruntime();
  const server = await startServerProcess(['--model-repository', path.join(REPO_ROOT, 'models'), ...process.argv.slice(2)]);
  try {
    const served = await inferd(server.address);
    console.log('simple ModelInfer, batch 1, concurrency 1');
    console.log(`  onnxruntime in-process session.run: ${fmt(engine)}`);
    console.log(`  inferd gRPC round trip:             ${fmt(served)}`);
    console.log(`  server + transport overhead at p50: ${(served.p50 - engine.p50).toFixed(0)} µs (ratio ${(served.p50 / engine.p50).toFixed(1)}×)`);
  } finally {
    await server.stop();
  }
}

if (require.main === module) {
  simpleLatency().catch((err: unknown) => {
    console.error(err);
    process.exit(1);
  });
}

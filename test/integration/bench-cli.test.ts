// `inferd bench` against a real server: each concurrency level reports its requests, latency percentiles and the
// server-side queue/compute split taken from ModelStatistics, and the inferences it sent are the ones the
// server counted.

import type { ModelStatisticsResponse } from '../../generated/inference/grpc_service';
import type { InferdServer } from '../../src/server';
import { runBench } from '../../src/cli/bench';
import { call, startServer, tsProtoClient } from '../support/server';

let server: InferdServer;

beforeAll(async () => {
  server = await startServer();
});

afterAll(async () => {
  await server.stop();
});

test('runBench measures each level of a concurrency range with the server-side split', async () => {
  const lines: string[] = [];
  const report = await runBench(
    {
      url: server.address,
      model: 'simple',
      modelVersion: '',
      concurrency: [1, 4],
      requestRate: 0,
      requestCount: 40,
      durationMs: 0,
      warmup: 5,
      warmupMs: 0,
      batchSize: 2,
      shapes: new Map(),
      inputs: null,
      inputData: null,
      timeoutMs: 30_000,
      serverPid: process.pid,
    },
    (l) => lines.push(l),
  );
  expect(report.batchSize).toBe(2);
  expect(report.levels.map((l) => [l.concurrency, l.requests, l.errors])).toEqual([
    [1, 40, 0],
    [4, 40, 0],
  ]);
  for (const l of report.levels) {
    expect(l.latencyUs.p50).toBeGreaterThan(0);
    expect(l.latencyUs.p99).toBeGreaterThanOrEqual(l.latencyUs.p50);
    expect(l.inferencesPerS).toBeCloseTo(l.requestsPerS * 2, 6);
    // Warm-up requests fall outside the statistics window.
    expect(l.server?.inferences).toBe(40 * 2);
    expect(l.server?.computeInferUs).toBeGreaterThan(0);
    // The server runs in this process here, so its CPU per request includes the client's.
    expect(l.cpu.clientUsPerRequest).toBeGreaterThan(0);
    if (process.platform === 'linux') {
      expect(l.cpu.serverUsPerRequest).toBeGreaterThanOrEqual(l.cpu.clientUsPerRequest * 0.5);
      expect(l.cpu.machineBusyPercent).toBeGreaterThan(0);
      expect(l.cpu.machineBusyPercent).toBeLessThanOrEqual(100);
    }
  }
  expect(lines[0]).toBe("model 'simple' at " + server.address + ', batch 2, concurrency 1, 4');
});

test('--warmup-ms drives each level at its own concurrency before measuring, outside the statistics window', async () => {
  const client = tsProtoClient(server.address);
  const inferences = async (): Promise<number> => {
    const res = await call<ModelStatisticsResponse>(client, 'modelStatistics', { name: 'simple', version: '' });
    return Number(res.modelStats[0].inferenceCount);
  };
  try {
    const before = await inferences();
    const report = await runBench(
      {
        url: server.address,
        model: 'simple',
        modelVersion: '',
        concurrency: [4],
        requestRate: 0,
        requestCount: 30,
        durationMs: 0,
        warmup: 0,
        warmupMs: 300,
        batchSize: 1,
        shapes: new Map(),
        inputs: null,
        inputData: null,
        timeoutMs: 30_000,
        serverPid: 0,
      },
      () => undefined,
    );
    const served = (await inferences()) - before;
    const level = report.levels[0];
    expect(level.requests).toBe(30);
    expect(level.server?.inferences).toBe(30);
    expect(level.cpu.serverUsPerRequest).toBeUndefined();
    // 300 ms of untimed load at concurrency 4 ran before the 30 measured requests.
    expect(served).toBeGreaterThan(30 + 4);
  } finally {
    client.close();
  }
});

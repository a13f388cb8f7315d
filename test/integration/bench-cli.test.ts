// `inferd bench` against a real server: each concurrency level reports its requests, latency percentiles and the
// server-side queue/compute split taken from ModelStatistics, and the inferences it sent are the ones the
// server counted.

import type { InferdServer } from '../../src/server';
import { runBench } from '../../src/cli/bench';
import { startServer } from '../support/server';

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
      batchSize: 2,
      shapes: new Map(),
      inputs: null,
      inputData: null,
      timeoutMs: 30_000,
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
    // Warm-up requests fall inside the statistics window too.
    expect(l.server?.inferences).toBe((40 + 5) * 2);
    expect(l.server?.computeInferUs).toBeGreaterThan(0);
  }
  expect(lines[0]).toBe("model 'simple' at " + server.address + ', batch 2, concurrency 1, 4');
});

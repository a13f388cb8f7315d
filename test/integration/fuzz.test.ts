// A bounded fuzz run of ModelInfer with raw random and mutated protobuf bytes (see test/support/fuzz.ts; the long
// run is `npm run fuzz`): every case gets OK or a client-error status, the server stays up, memory stays flat.

import type { InferdServer } from '../../src/server';
import * as grpc from '@grpc/grpc-js';
import { formatReport, runFuzz } from '../support/fuzz';
import { MODEL_INFER, RawClient } from '../support/raw-client';
import { startServer } from '../support/server';

let server: InferdServer;
beforeAll(async () => {
  server = await startServer({ maxMessageBytes: 4 * 1024 * 1024 });
});
afterAll(() => server.stop());

test('600 seeded fuzz cases: proper statuses, server up, memory flat', async () => {
  const report = await runFuzz(server.address, { seed: 7, cases: 600, warmup: 150, concurrency: 8 });
  console.log(formatReport(report));
  expect(report.failures).toEqual([]);
  expect(report.cases).toBe(600);
  expect(report.serverLiveAtEnd).toBe(true);
  // Every kind of case ran, and some mutants stayed valid enough to be served (the cases reach inference).
  expect(Object.keys(report.outcomes).length).toBe(13);
  expect(Object.values(report.outcomes).reduce((n, o) => n + (o.OK ?? 0), 0)).toBeGreaterThan(0);
  // Flat memory: after GC, heap + array buffers grow by less than 8 MiB over the 450 cases after the warm-up,
  // and by less than half the request bytes sent in them (keeping every request buffer would exceed that).
  const grewMiB = report.memoryMiB.atEnd - report.memoryMiB.afterWarmup;
  expect(grewMiB).toBeLessThan(8);
  expect(grewMiB * 2 ** 20).toBeLessThan(report.bytesAfterWarmup / 2);
}, 240_000);

test('bytes that are not a ModelInferRequest get INVALID_ARGUMENT (grpc-js alone would say INTERNAL)', async () => {
  const raw = new RawClient(server.address);
  try {
    // model_name (field 1) declaring 2^31-1 bytes, then 3 bytes.
    const res = await raw.unary(MODEL_INFER, Buffer.from([0x0a, 0xff, 0xff, 0xff, 0xff, 0x07, 0x61, 0x62, 0x63]));
    expect(!res.ok && res.error.code).toBe(grpc.status.INVALID_ARGUMENT);
    expect(!res.ok && res.error.details).toMatch(/^ModelInfer: the request is not a valid protobuf message for this method: .+/);
  } finally {
    raw.close();
  }
});

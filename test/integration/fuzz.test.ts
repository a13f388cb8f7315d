// A bounded fuzz run of ModelInfer with raw random and mutated protobuf bytes (see test/support/fuzz.ts; the long
// run is `npm run fuzz`): every case gets OK or a client-error status, the server stays up, memory stays flat.

import type { InferdServer } from '../../src/server';
import * as grpc from '@grpc/grpc-js';
import { formatReport, runFuzz } from '../support/fuzz';
import { MODEL_INFER, MODEL_STREAM_INFER, RawClient, UNDECODABLE } from '../support/raw-client';
import { ModelInferRequest, ModelStreamInferResponse } from '../../generated/inference/grpc_service';
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
    const res = await raw.unary(MODEL_INFER, UNDECODABLE);
    expect(!res.ok && res.error.code).toBe(grpc.status.INVALID_ARGUMENT);
    expect(!res.ok && res.error.details).toMatch(/^ModelInfer: the request is not a valid protobuf message for this method: .+/);
  } finally {
    raw.close();
  }
});

test('on a stream, bytes that are not a ModelInferRequest are answered with error_message and the stream goes on', async () => {
  const raw = new RawClient(server.address);
  try {
    const valid = ModelInferRequest.encode({
      modelName: 'simple',
      modelVersion: '',
      id: 'after',
      parameters: {},
      inputs: [
        { name: 'INPUT0', datatype: 'INT32', shape: [1n, 16n], parameters: {}, contents: undefined },
        { name: 'INPUT1', datatype: 'INT32', shape: [1n, 16n], parameters: {}, contents: undefined },
      ],
      outputs: [],
      rawInputContents: [Buffer.alloc(64), Buffer.alloc(64)],
    }).finish();
    const res = await raw.bidiOnce(MODEL_STREAM_INFER, [UNDECODABLE, Buffer.from(valid)]);
    expect(res.ok).toBe(true);
    const answers = res.ok ? res.bodies.map((b) => ModelStreamInferResponse.decode(b)) : [];
    expect(answers).toHaveLength(2);
    expect(answers[0].errorMessage).toMatch(/^ModelStreamInfer: the request is not a valid protobuf message for this method: .+/);
    expect(answers[1]).toMatchObject({ errorMessage: '', inferResponse: { modelName: 'simple', id: 'after' } });
  } finally {
    raw.close();
  }
});

// Per-principal rate limits through the real server: the request bucket trips with RESOURCE_EXHAUSTED and a
// `retry-after-ms` trailer, and recovers after the hinted wait; the input-bytes bucket trips on tensor bytes; one
// principal's exhaustion does not touch another's. (Token-bucket arithmetic is unit-tested with a fake clock.)

import * as grpc from '@grpc/grpc-js';
import type { InferdServer } from '../../src/server';
import { DEFAULT_SECURITY } from '../../src/security/security-settings';
import { RETRY_AFTER_MS } from '../../src/security/security-interceptor';
import { int32Bytes, startServer, tsProtoClient } from '../support/server';

const ones = Array.from({ length: 16 }, () => 1);
const inferRequest = {
  modelName: 'simple',
  modelVersion: '',
  id: '',
  parameters: {},
  inputs: ['INPUT0', 'INPUT1'].map((name) => ({ name, datatype: 'INT32', shape: [1n, 16n], parameters: {} })),
  outputs: [],
  rawInputContents: [int32Bytes(ones), int32Bytes(ones)],
};

/** Calls and returns 'OK' or the error with its trailing metadata. */
function attempt(client: grpc.Client, method: string, request: unknown, md = new grpc.Metadata()) {
  const fn = (client as unknown as Record<string, (...a: unknown[]) => grpc.ClientUnaryCall>)[method].bind(client);
  return new Promise<'OK' | grpc.ServiceError>((resolve) => fn(request, md, {}, (err: grpc.ServiceError | null) => resolve(err ?? 'OK')));
}

const bearer = (token: string) => {
  const md = new grpc.Metadata();
  md.set('authorization', `Bearer ${token}`);
  return md;
};

describe('request rate limit per principal', () => {
  let server: InferdServer;
  let client: grpc.Client;
  beforeAll(async () => {
    server = await startServer({
      security: { ...DEFAULT_SECURITY, rateLimits: { requestsPerSecond: 0.25, requestBurst: 2, inputBytesPerSecond: 0, inputBytesBurst: 0 } },
    });
    client = tsProtoClient(server.address);
  });
  afterAll(async () => {
    client.close();
    await server.stop();
  });

  test('trips after the burst with a retry hint, and recovers after waiting it out', async () => {
    expect(await attempt(client, 'serverMetadata', {})).toBe('OK');
    expect(await attempt(client, 'serverMetadata', {})).toBe('OK');
    const refused = (await attempt(client, 'serverMetadata', {})) as grpc.ServiceError;
    expect(refused.code).toBe(grpc.status.RESOURCE_EXHAUSTED);
    expect(refused.details).toMatch(/^ServerMetadata: rate limit of 0.25 requests\/s for 'peer 127\.0\.0\.1' exceeded; retry in \d+ ms$/);
    const retryMs = Number(refused.metadata.get(RETRY_AFTER_MS)[0]);
    expect(retryMs).toBeGreaterThan(0);
    expect(retryMs).toBeLessThanOrEqual(4000); // one token at 0.25/s
    // Probes are never rate limited.
    expect(await attempt(client, 'serverLive', {})).toBe('OK');
    await new Promise((r) => setTimeout(r, retryMs + 50));
    expect(await attempt(client, 'serverMetadata', {})).toBe('OK');
  });
});

describe('input-bytes rate limit per principal', () => {
  let server: InferdServer;
  let client: grpc.Client;
  beforeAll(async () => {
    const principals = JSON.stringify({
      principals: [
        { name: 'a', tokens: ['token-a-123456'], scopes: ['admin'] },
        { name: 'b', tokens: ['token-b-123456'], scopes: ['admin'] },
      ],
    });
    server = await startServer({
      security: {
        ...DEFAULT_SECURITY,
        principalsJson: principals,
        // 128 input bytes per request (two INT32[1,16]); the bucket refills 1 byte per second.
        rateLimits: { requestsPerSecond: 0, requestBurst: 0, inputBytesPerSecond: 1, inputBytesBurst: 200 },
      },
    });
    client = tsProtoClient(server.address);
  });
  afterAll(async () => {
    client.close();
    await server.stop();
  });

  test("one principal's bytes run out; another principal is unaffected", async () => {
    expect(await attempt(client, 'modelInfer', inferRequest, bearer('token-a-123456'))).toBe('OK');
    const refused = (await attempt(client, 'modelInfer', inferRequest, bearer('token-a-123456'))) as grpc.ServiceError;
    expect(refused.code).toBe(grpc.status.RESOURCE_EXHAUSTED);
    expect(refused.details).toMatch(/^ModelInfer: rate limit of 1 input bytes\/s for 'a' exceeded; retry in \d+ ms$/);
    expect(Number(refused.metadata.get(RETRY_AFTER_MS)[0])).toBeGreaterThan(50_000); // 56 bytes missing at 1 byte/s
    expect(await attempt(client, 'modelInfer', inferRequest, bearer('token-b-123456'))).toBe('OK');
  });
});

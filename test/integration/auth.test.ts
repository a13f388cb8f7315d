// Bearer-token and client-certificate authentication with per-model scopes, through the ts-proto and proto-loader
// clients and raw calls to health and reflection: each scope allowed and denied, UNAUTHENTICATED vs
// PERMISSION_DENIED naming the missing scope, open probes (and closed ones when configured), and no token in logs.

import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Writable } from 'node:stream';
import * as grpc from '@grpc/grpc-js';
import pino from 'pino';
import type { ServerSettings } from '../../src/config/server-settings';
import { sha256Hex } from '../../src/security/principals';
import { buildServerSecurity } from '../../src/security/server-security';
import { DEFAULT_SECURITY } from '../../src/security/security-settings';
import { InferdServer } from '../../src/server';
import type { ModelInferResponse } from '../../generated/inference/grpc_service';
import { GRPCInferenceServiceClient } from '../../generated/inference/grpc_service';
import { issue, makeAuthority } from '../support/certificates';
import { HEALTH_CHECK, LIST_SERVICES, MODEL_INFER, RawClient, REFLECTION, UNDECODABLE } from '../support/raw-client';
import { call, int32Bytes, int32Values, protoLoaderClient, testSettings, tsProtoClient } from '../support/server';

const TOKENS = {
  reader: 'rd-4f1c9a7e2b-reader-token',
  inferer: 'in-77aa01c3de-infer-token',
  admin: 'ad-0b5e93f1aa-admin-token',
  nobody: 'nb-2c8e4d6f10-no-scope-token',
};

const PRINCIPALS = JSON.stringify({
  principals: [
    { name: 'reader', tokens: [TOKENS.reader], scopes: ['read'] },
    { name: 'inferer', tokens: [TOKENS.inferer], scopes: ['infer:sim*'] },
    { name: 'ops', token_sha256: [sha256Hex(TOKENS.admin)], scopes: ['admin'] },
    { name: 'nobody', tokens: [TOKENS.nobody], scopes: [] },
    { name: 'edge', cert_subjects: ['O=inferd tests,CN=edge-01'], scopes: ['infer:simple'] },
  ],
});

function captureLogger(lines: string[]) {
  return pino({ level: 'trace' }, new Writable({ write: (chunk, _enc, done) => (lines.push(String(chunk)), done()) }));
}

function settings(overrides: Partial<ServerSettings> = {}): ServerSettings {
  return testSettings({
    modelControlMode: 'explicit',
    loadModels: ['simple', 'mlp'],
    logLevel: 'trace',
    ...overrides,
    security: { ...DEFAULT_SECURITY, principalsJson: PRINCIPALS, ...overrides.security },
  });
}

const bearer = (token: string): grpc.Metadata => {
  const md = new grpc.Metadata();
  md.set('authorization', `Bearer ${token}`);
  return md;
};

const ones = Array.from({ length: 16 }, () => 1);
const inferRequest = (modelName: string) => ({
  modelName,
  modelVersion: '',
  id: '',
  parameters: {},
  inputs: ['INPUT0', 'INPUT1'].map((name) => ({ name, datatype: 'INT32', shape: [1n, 16n], parameters: {} })),
  outputs: [],
  rawInputContents: [int32Bytes(ones), int32Bytes(ones)],
});

async function outcome(client: grpc.Client, method: string, request: unknown, md?: grpc.Metadata) {
  try {
    await call(client, method, request, {}, md);
    return 'OK';
  } catch (err) {
    const e = err as grpc.ServiceError;
    return `${grpc.status[e.code]}: ${e.details}`;
  }
}

describe('bearer tokens and scopes', () => {
  const logs: string[] = [];
  let server: InferdServer;
  let client: GRPCInferenceServiceClient;
  let raw: RawClient;
  beforeAll(async () => {
    server = await new InferdServer(settings(), captureLogger(logs)).start();
    client = tsProtoClient(server.address);
    raw = new RawClient(server.address);
  });
  afterAll(async () => {
    client.close();
    raw.close();
    await server.stop();
  });

  test('no credentials, a wrong token and a malformed header are UNAUTHENTICATED', async () => {
    expect(await outcome(client, 'modelInfer', inferRequest('simple'))).toBe(
      "UNAUTHENTICATED: ModelInfer: this call needs credentials: an 'authorization: Bearer <token>' metadata entry or a client certificate",
    );
    expect(await outcome(client, 'modelInfer', inferRequest('simple'), bearer('not-a-token'))).toBe(
      'UNAUTHENTICATED: ModelInfer: the bearer token is not valid',
    );
    const basic = new grpc.Metadata();
    basic.set('authorization', `Basic ${TOKENS.admin}`);
    expect(await outcome(client, 'serverMetadata', {}, basic)).toBe(
      "UNAUTHENTICATED: ServerMetadata: the authorization metadata must be 'Bearer <token>'",
    );
  });

  test('probes stay open: grpc.health.v1 Check, ServerLive and ServerReady without credentials', async () => {
    expect(await call(client, 'serverLive', {})).toEqual({ live: true });
    expect(await call(client, 'serverReady', {})).toEqual({ ready: true });
    const health = await raw.unary(HEALTH_CHECK, Buffer.alloc(0));
    expect(health).toEqual({ ok: true, body: Buffer.from([0x08, 0x01]) }); // status: SERVING
  });

  test("'read' allows metadata, config, statistics, index and reflection, not inference or load", async () => {
    const md = bearer(TOKENS.reader);
    expect(await outcome(client, 'serverMetadata', {}, md)).toBe('OK');
    expect(await outcome(client, 'modelMetadata', { name: 'mlp', version: '' }, md)).toBe('OK');
    expect(await outcome(client, 'modelConfig', { name: 'simple', version: '' }, md)).toBe('OK');
    expect(await outcome(client, 'modelReady', { name: 'simple', version: '' }, md)).toBe('OK');
    expect(await outcome(client, 'modelStatistics', { name: '', version: '' }, md)).toBe('OK');
    expect(await outcome(client, 'repositoryIndex', { repositoryName: '', ready: false }, md)).toBe('OK');
    const listed = await raw.bidiOnce(REFLECTION, LIST_SERVICES, bearer(TOKENS.reader));
    expect(listed.ok && Buffer.concat(listed.bodies).toString('latin1')).toContain('inference.GRPCInferenceService');
    expect(await outcome(client, 'modelInfer', inferRequest('simple'), md)).toBe(
      "PERMISSION_DENIED: ModelInfer: principal 'reader' lacks scope 'infer:simple' for model 'simple'",
    );
    expect(await outcome(client, 'repositoryModelLoad', { repositoryName: '', modelName: 'simple', parameters: {} }, md)).toBe(
      "PERMISSION_DENIED: RepositoryModelLoad: principal 'reader' lacks scope 'admin'",
    );
  });

  test("'infer:sim*' allows inference and metadata on matching models only", async () => {
    const md = bearer(TOKENS.inferer);
    const res = await call<ModelInferResponse>(client, 'modelInfer', inferRequest('simple'), {}, md);
    expect(int32Values(res.rawOutputContents[0])).toEqual(ones.map(() => 2));
    expect(await outcome(client, 'modelMetadata', { name: 'simple', version: '' }, md)).toBe('OK');
    expect(await outcome(client, 'modelInfer', inferRequest('mlp'), md)).toBe(
      "PERMISSION_DENIED: ModelInfer: principal 'inferer' lacks scope 'infer:mlp' for model 'mlp'",
    );
    expect(await outcome(client, 'modelMetadata', { name: 'mlp', version: '' }, md)).toBe(
      "PERMISSION_DENIED: ModelMetadata: principal 'inferer' lacks scope 'read' or 'infer:mlp' for model 'mlp'",
    );
    expect(await outcome(client, 'serverMetadata', {}, md)).toBe(
      "PERMISSION_DENIED: ServerMetadata: principal 'inferer' lacks scope 'read'",
    );
    const reflection = await raw.bidiOnce(REFLECTION, LIST_SERVICES, md);
    expect(!reflection.ok && reflection.error.code).toBe(grpc.status.PERMISSION_DENIED);
  });

  test('undecodable request bytes from an authenticated principal are INVALID_ARGUMENT, not a scope refusal', async () => {
    const res = await raw.unary(MODEL_INFER, UNDECODABLE, bearer(TOKENS.inferer));
    expect(!res.ok && `${grpc.status[res.error.code]}: ${res.error.details}`).toMatch(
      /^INVALID_ARGUMENT: ModelInfer: the request is not a valid protobuf message for this method: .+/,
    );
    const anonymous = await raw.unary(MODEL_INFER, UNDECODABLE);
    expect(!anonymous.ok && anonymous.error.code).toBe(grpc.status.UNAUTHENTICATED);
  });

  test("'admin' (given as a SHA-256 digest) allows repository load and unload, and everything else", async () => {
    const md = bearer(TOKENS.admin);
    expect(await outcome(client, 'repositoryModelUnload', { repositoryName: '', modelName: 'mlp', parameters: {} }, md)).toBe('OK');
    expect(await outcome(client, 'repositoryModelLoad', { repositoryName: '', modelName: 'mlp', parameters: {} }, md)).toBe('OK');
    expect(await outcome(client, 'modelInfer', inferRequest('simple'), md)).toBe('OK');
    expect(await outcome(client, 'serverMetadata', {}, md)).toBe('OK');
  });

  test('a principal without scopes is authenticated but denied', async () => {
    expect(await outcome(client, 'repositoryIndex', { repositoryName: '', ready: false }, bearer(TOKENS.nobody))).toBe(
      "PERMISSION_DENIED: RepositoryIndex: principal 'nobody' lacks scope 'read'",
    );
  });

  test('a proto-loader client sends the same token the same way', async () => {
    const pl = protoLoaderClient(server.address);
    try {
      expect(await outcome(pl, 'ServerMetadata', {}, bearer(TOKENS.reader))).toBe('OK');
      expect(await outcome(pl, 'ServerMetadata', {})).toMatch(/^UNAUTHENTICATED: /);
    } finally {
      pl.close();
    }
  });

  test('no token (nor its digest) ever appears in the logs, even at trace level', () => {
    const text = logs.join('');
    expect(text).toContain('call refused'); // the refusals above were logged
    for (const token of Object.values(TOKENS)) {
      expect(text).not.toContain(token);
      expect(text).not.toContain(sha256Hex(token));
    }
  });
});

describe('closed probes', () => {
  let server: InferdServer;
  let client: GRPCInferenceServiceClient;
  beforeAll(async () => {
    server = await new InferdServer(
      settings({ loadModels: [], security: { ...DEFAULT_SECURITY, principalsJson: PRINCIPALS, openProbes: false } }),
      pino({ level: 'silent' }),
    ).start();
    client = tsProtoClient(server.address);
  });
  afterAll(async () => {
    client.close();
    await server.stop();
  });

  test('probes need credentials, and any authenticated principal may probe', async () => {
    expect(await outcome(client, 'serverLive', {})).toMatch(/^UNAUTHENTICATED: ServerLive: /);
    expect(await outcome(client, 'serverLive', {}, bearer(TOKENS.nobody))).toBe('OK');
    const raw = new RawClient(server.address);
    const health = await raw.unary(HEALTH_CHECK, Buffer.alloc(0));
    raw.close();
    expect(!health.ok && health.error.code).toBe(grpc.status.UNAUTHENTICATED);
  });
});

describe('client certificate subject as principal (mTLS)', () => {
  test('a listed subject gets its scopes; an unlisted one from the same CA gets none', async () => {
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'inferd-auth-'));
    const ca = makeAuthority('inferd test CA');
    const serverCert = issue(ca, 'inferd server', { kind: 'server' });
    const files = { cert: path.join(dir, 'c.pem'), key: path.join(dir, 'k.pem'), ca: path.join(dir, 'ca.pem') };
    await fs.writeFile(files.cert, serverCert.cert);
    await fs.writeFile(files.key, serverCert.key);
    await fs.writeFile(files.ca, ca.cert);
    const server = await new InferdServer(
      settings({
        loadModels: ['simple'],
        security: {
          ...DEFAULT_SECURITY,
          principalsJson: PRINCIPALS,
          tls: { certFile: files.cert, keyFile: files.key, clientCaFile: files.ca, clientCert: 'required', reloadIntervalMs: 0 },
        },
      }),
      pino({ level: 'silent' }),
    ).start();
    const clientFor = (cn: string) => {
      const c = issue(ca, cn, { kind: 'client' });
      return new GRPCInferenceServiceClient(
        server.address,
        grpc.credentials.createSsl(Buffer.from(ca.cert), Buffer.from(c.key), Buffer.from(c.cert)),
      );
    };
    const edge = clientFor('edge-01');
    const stranger = clientFor('edge-99');
    try {
      const res = await call<ModelInferResponse>(edge, 'modelInfer', inferRequest('simple'));
      expect(int32Values(res.rawOutputContents[0])).toEqual(ones.map(() => 2));
      expect(await outcome(edge, 'repositoryIndex', { repositoryName: '', ready: false })).toBe(
        "PERMISSION_DENIED: RepositoryIndex: principal 'edge' lacks scope 'read'",
      );
      expect(await outcome(stranger, 'modelInfer', inferRequest('simple'))).toBe(
        "PERMISSION_DENIED: ModelInfer: principal 'O=inferd tests,CN=edge-99' lacks scope 'infer:simple' for model 'simple'",
      );
      // A token on an mTLS connection takes precedence over the certificate.
      expect(await outcome(stranger, 'repositoryIndex', { repositoryName: '', ready: false }, bearer(TOKENS.reader))).toBe('OK');
    } finally {
      edge.close();
      stranger.close();
      await server.stop();
    }
  });
});

describe('startup checks and the public-address warning', () => {
  const capture = () => {
    const lines: string[] = [];
    return { lines, log: captureLogger(lines) };
  };

  test('--auth on without principals refuses to start', () => {
    expect(() => buildServerSecurity({ ...DEFAULT_SECURITY, auth: 'on' }, '127.0.0.1', pino({ level: 'silent' }))).toThrow(
      '--auth on needs principals: --auth-principals-file <file> or INFERD_AUTH_PRINCIPALS',
    );
  });

  test('an unknown scope or an unreadable principals file is a clear error', () => {
    const json = JSON.stringify({ principals: [{ name: 'x', tokens: ['t'], scopes: ['write'] }] });
    expect(() => buildServerSecurity({ ...DEFAULT_SECURITY, principalsJson: json }, '127.0.0.1', pino({ level: 'silent' }))).toThrow(
      "INFERD_AUTH_PRINCIPALS: principals[0] ('x'): unknown scope 'write'",
    );
    expect(() =>
      buildServerSecurity({ ...DEFAULT_SECURITY, principalsFile: '/nonexistent/p.json' }, '127.0.0.1', pino({ level: 'silent' })),
    ).toThrow("auth principals file '/nonexistent/p.json' cannot be read");
  });

  test('auth is off on a loopback bind without principals, quietly; on a public bind it warns loudly', () => {
    const loop = capture();
    const a = buildServerSecurity(DEFAULT_SECURITY, '127.0.0.1', loop.log);
    expect(a.authenticating).toBe(false);
    // Nothing to check: no interceptor layer on the calls. A rate limit alone, or principals, install it.
    expect(a.interceptors).toHaveLength(0);
    const limited = { ...DEFAULT_SECURITY, rateLimits: { ...DEFAULT_SECURITY.rateLimits, requestsPerSecond: 5 } };
    expect(buildServerSecurity(limited, '127.0.0.1', loop.log).interceptors).toHaveLength(1);
    expect(loop.lines.join('')).not.toContain('WITHOUT AUTHENTICATION');
    const pub = capture();
    const b = buildServerSecurity(DEFAULT_SECURITY, '0.0.0.0', pub.log);
    expect(b.authenticating).toBe(false);
    const warnings = pub.lines.map((l) => JSON.parse(l) as { level: number; msg: string }).filter((l) => l.level === 40);
    expect(warnings.map((w) => w.msg).join('\n')).toMatch(/SERVING ON A NON-LOOPBACK ADDRESS WITHOUT AUTHENTICATION[\s\S]*without TLS/);
    const on = capture();
    const authenticating = buildServerSecurity({ ...DEFAULT_SECURITY, principalsJson: PRINCIPALS }, '0.0.0.0', on.log);
    expect(authenticating.authenticating).toBe(true);
    expect(authenticating.interceptors).toHaveLength(1);
    expect(on.lines.join('')).not.toContain('WITHOUT AUTHENTICATION');
  });
});

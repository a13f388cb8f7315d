// TLS and mTLS on the gRPC port with certificates made in the test: handshakes that must succeed and fail (wrong
// CA, plaintext client, no client cert, expired client cert, client cert from another CA), certificate rotation
// without a restart, a rotation to broken files that keeps the old certificate, and clear startup errors.

import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as grpc from '@grpc/grpc-js';
import pino from 'pino';
import { DEFAULT_SECURITY, type SecuritySettings } from '../../src/security/security-settings';
import { ReloadingServerCredentials, type TlsFiles } from '../../src/security/tls-credentials';
import type { InferdServer } from '../../src/server';
import { GRPCInferenceServiceClient } from '../../generated/inference/grpc_service';
import { EXPIRED, issue, makeAuthority, type Authority, type Issued } from '../support/certificates';
import { call, callError, startServer } from '../support/server';

const silent = pino({ level: 'silent' });
let dir: string;
let ca: Authority;
let otherCa: Authority;
let serverCert: Issued;
let clientCert: Issued;

beforeAll(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'inferd-tls-'));
  ca = makeAuthority('inferd test CA');
  otherCa = makeAuthority('some other CA');
  serverCert = issue(ca, 'inferd server', { kind: 'server' });
  clientCert = issue(ca, 'client-a', { kind: 'client' });
});

async function writeFiles(prefix: string, files: Record<string, string>): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const [name, text] of Object.entries(files)) {
    out[name] = path.join(dir, `${prefix}-${name}.pem`);
    await fs.writeFile(out[name], text);
  }
  return out;
}

function tlsSettings(files: Record<string, string>, extra: Partial<TlsFiles> = {}): SecuritySettings {
  return {
    ...DEFAULT_SECURITY,
    tls: {
      certFile: files.cert,
      keyFile: files.key,
      clientCaFile: files.clientCa ?? '',
      clientCert: 'required',
      reloadIntervalMs: 0,
      ...extra,
    },
  };
}

const client = (port: number, creds: grpc.ChannelCredentials) => new GRPCInferenceServiceClient(`127.0.0.1:${port}`, creds);
const deadline = () => ({ deadline: Date.now() + 10_000 });

async function live(port: number, creds: grpc.ChannelCredentials): Promise<grpc.ServiceError | { live: boolean }> {
  const c = client(port, creds);
  try {
    return await call<{ live: boolean }>(c, 'serverLive', {}, deadline());
  } catch (err) {
    return err as grpc.ServiceError;
  } finally {
    c.close();
  }
}

describe('server-side TLS', () => {
  let server: InferdServer;
  beforeAll(async () => {
    const files = await writeFiles('tls', { cert: serverCert.cert, key: serverCert.key });
    server = await startServer({ modelRepository: path.join(dir), security: tlsSettings(files) });
  });
  afterAll(() => server.stop());

  test('a client that trusts the CA connects', async () => {
    expect(await live(server.port, grpc.credentials.createSsl(Buffer.from(ca.cert)))).toEqual({ live: true });
  });

  test('a client that trusts another CA fails the handshake (UNAVAILABLE)', async () => {
    const res = await live(server.port, grpc.credentials.createSsl(Buffer.from(otherCa.cert)));
    expect((res as grpc.ServiceError).code).toBe(grpc.status.UNAVAILABLE);
  });

  test('a plaintext client is refused (UNAVAILABLE)', async () => {
    const res = await live(server.port, grpc.credentials.createInsecure());
    expect((res as grpc.ServiceError).code).toBe(grpc.status.UNAVAILABLE);
  });
});

describe('mTLS with required client certificates', () => {
  let server: InferdServer;
  beforeAll(async () => {
    const files = await writeFiles('mtls', { cert: serverCert.cert, key: serverCert.key, clientCa: ca.cert });
    server = await startServer({ modelRepository: dir, security: tlsSettings(files) });
  });
  afterAll(() => server.stop());

  const withClient = (c: Issued | null, trust = ca) =>
    grpc.credentials.createSsl(Buffer.from(trust.cert), c ? Buffer.from(c.key) : null, c ? Buffer.from(c.cert) : null);

  test('a client with a certificate from the client CA connects', async () => {
    expect(await live(server.port, withClient(clientCert))).toEqual({ live: true });
  });

  test('a client without a certificate is refused', async () => {
    expect(((await live(server.port, withClient(null))) as grpc.ServiceError).code).toBe(grpc.status.UNAVAILABLE);
  });

  test('a client certificate from another CA is refused', async () => {
    const stranger = issue(otherCa, 'client-a', { kind: 'client' });
    expect(((await live(server.port, withClient(stranger))) as grpc.ServiceError).code).toBe(grpc.status.UNAVAILABLE);
  });

  test('an expired client certificate is refused', async () => {
    const expired = issue(ca, 'client-a', { kind: 'client', ...EXPIRED });
    expect(((await live(server.port, withClient(expired))) as grpc.ServiceError).code).toBe(grpc.status.UNAVAILABLE);
  });
});

describe('certificate rotation', () => {
  test('new certificate files are served without a restart; broken files keep the old certificate', async () => {
    const files = await writeFiles('rotate', { cert: serverCert.cert, key: serverCert.key });
    const server = await startServer({
      modelRepository: dir,
      security: tlsSettings(files, { reloadIntervalMs: 50 }),
    });
    try {
      const trustsOld = grpc.credentials.createSsl(Buffer.from(ca.cert));
      const trustsNew = grpc.credentials.createSsl(Buffer.from(otherCa.cert));
      expect(await live(server.port, trustsOld)).toEqual({ live: true });

      // Broken rotation: a key that does not match. The server keeps the old certificate.
      const creds = server.security.credentials as ReloadingServerCredentials;
      const before = creds.current().fingerprint;
      await fs.writeFile(files.key, issue(ca, 'x', { kind: 'server' }).key);
      expect(creds.reload()).toBe(false);
      expect(creds.current().fingerprint).toBe(before);
      expect(await live(server.port, trustsOld)).toEqual({ live: true });

      // cert-manager style rotation to a certificate from another CA: picked up by the poller.
      const next = issue(otherCa, 'inferd server', { kind: 'server' });
      await fs.writeFile(files.key, next.key);
      await fs.writeFile(files.cert, next.cert);
      for (let i = 0; i < 400 && creds.current().fingerprint === before; i++) await new Promise((r) => setTimeout(r, 25));
      expect(creds.current().fingerprint).not.toBe(before);
      expect(await live(server.port, trustsNew)).toEqual({ live: true });
      expect(((await live(server.port, trustsOld)) as grpc.ServiceError).code).toBe(grpc.status.UNAVAILABLE);
    } finally {
      await server.stop();
    }
  });
});

describe('startup errors name the file and the problem', () => {
  const make = (files: TlsFiles) => () => new ReloadingServerCredentials(files, silent);
  const base = (): TlsFiles => ({ certFile: '', keyFile: '', clientCaFile: '', clientCert: 'required', reloadIntervalMs: 0 });

  test('unreadable certificate file', async () => {
    const files = await writeFiles('err1', { key: serverCert.key });
    expect(make({ ...base(), certFile: path.join(dir, 'missing.pem'), keyFile: files.key })).toThrow(
      /TLS certificate file '.*missing\.pem' cannot be read: ENOENT/,
    );
  });

  test('a certificate file that holds no certificate', async () => {
    const files = await writeFiles('err2', { cert: 'hello', key: serverCert.key });
    expect(make({ ...base(), certFile: files.cert, keyFile: files.key })).toThrow(/holds no PEM certificate/);
  });

  test('a key that does not match the certificate', async () => {
    const files = await writeFiles('err3', { cert: serverCert.cert, key: clientCert.key });
    expect(make({ ...base(), certFile: files.cert, keyFile: files.key })).toThrow(
      /TLS private key file '.*err3-key\.pem' does not match the certificate/,
    );
  });

  test('a key file that is not a key', async () => {
    const files = await writeFiles('err4', { cert: serverCert.cert, key: 'not a key' });
    expect(make({ ...base(), certFile: files.cert, keyFile: files.key })).toThrow(/is not a valid PEM private key/);
  });

  test('an unreadable client CA file', async () => {
    const files = await writeFiles('err5', { cert: serverCert.cert, key: serverCert.key });
    expect(
      make({ ...base(), certFile: files.cert, keyFile: files.key, clientCaFile: path.join(dir, 'no-ca.pem') }),
    ).toThrow(/TLS client CA file '.*no-ca\.pem' cannot be read/);
  });
});

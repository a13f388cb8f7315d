// TLS for the server ports: reads and checks the certificate, key and optional client CA files (clear errors for
// an unreadable file, a file that is not PEM, a key that does not match the certificate), and serves them through
// a grpc-js ServerCredentials that re-reads the files on an interval and swaps the secure context of every bound
// port without a restart (cert-manager rotation). A rotation to files that fail the checks is logged and ignored:
// the last good certificate keeps serving. A future HTTP port can serve `current()` of the same instance.

import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as tls from 'node:tls';
import { ServerCredentials } from '@grpc/grpc-js';
import type { SecureServerOptions } from 'node:http2';
import type { Logger } from '../telemetry/logger';

export interface TlsFiles {
  certFile: string;
  keyFile: string;
  /** CA bundle that client certificates must chain to (mTLS); '' for server-side TLS only. */
  clientCaFile: string;
  /** With a client CA: 'required' refuses the handshake without a valid client cert; 'optional' lets it through
   *  (an unverified certificate is then ignored, never used as a principal). */
  clientCert: 'required' | 'optional';
  /** How often the files are re-read for rotation, in ms; 0 never. */
  reloadIntervalMs: number;
}

/** The checked contents of the TLS files, ready for `tls.createSecureContext`. */
export interface TlsMaterial {
  cert: Buffer;
  key: Buffer;
  ca: Buffer | undefined;
  /** SHA-256 fingerprint of the leaf certificate, for logs. */
  fingerprint: string;
  subject: string;
  validTo: Date;
}

function read(file: string, what: string): Buffer {
  try {
    return fs.readFileSync(file);
  } catch (err) {
    throw new Error(`TLS ${what} file '${file}' cannot be read: ${(err as Error).message}`);
  }
}

function parseCertificates(pem: Buffer, file: string, what: string): crypto.X509Certificate[] {
  const blocks = pem.toString('latin1').match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g);
  if (!blocks) throw new Error(`TLS ${what} file '${file}' holds no PEM certificate`);
  return blocks.map((block, i) => {
    try {
      return new crypto.X509Certificate(block);
    } catch (err) {
      throw new Error(`TLS ${what} file '${file}': certificate ${i} is not valid: ${(err as Error).message}`);
    }
  });
}

/** Reads and checks the TLS files; throws an Error naming the file and the problem. */
export function loadTlsMaterial(files: TlsFiles): TlsMaterial {
  const cert = read(files.certFile, 'certificate');
  const key = read(files.keyFile, 'private key');
  const [leaf] = parseCertificates(cert, files.certFile, 'certificate');
  let privateKey: crypto.KeyObject;
  try {
    privateKey = crypto.createPrivateKey(key);
  } catch (err) {
    throw new Error(`TLS private key file '${files.keyFile}' is not a valid PEM private key: ${(err as Error).message}`);
  }
  if (!leaf.checkPrivateKey(privateKey)) {
    throw new Error(
      `TLS private key file '${files.keyFile}' does not match the certificate in '${files.certFile}' ` +
        `(subject ${leaf.subject.replace(/\n/g, ',')})`,
    );
  }
  let ca: Buffer | undefined;
  if (files.clientCaFile) {
    ca = read(files.clientCaFile, 'client CA');
    parseCertificates(ca, files.clientCaFile, 'client CA');
  }
  try {
    tls.createSecureContext({ cert, key, ca });
  } catch (err) {
    throw new Error(`TLS files '${files.certFile}' / '${files.keyFile}' are refused by OpenSSL: ${(err as Error).message}`);
  }
  return {
    cert,
    key,
    ca,
    fingerprint: leaf.fingerprint256,
    subject: leaf.subject.replace(/\n/g, ','),
    validTo: new Date(leaf.validTo),
  };
}

/** The secure-context options of one load (the part that rotates). */
function contextOptions(m: TlsMaterial): tls.SecureContextOptions {
  return { cert: m.cert, key: m.key, ca: m.ca };
}

/**
 * grpc-js server credentials over TLS files that reload on change. grpc-js calls each registered watcher (one per
 * bound port) with new secure-context options; ports bound later start from the latest ones.
 */
export class ReloadingServerCredentials extends ServerCredentials {
  private material: TlsMaterial;
  private timer: NodeJS.Timeout | null = null;

  constructor(
    private readonly files: TlsFiles,
    private readonly log: Logger,
  ) {
    const material = loadTlsMaterial(files);
    const serverOptions: SecureServerOptions = {
      requestCert: files.clientCaFile !== '',
      rejectUnauthorized: files.clientCaFile !== '' && files.clientCert === 'required',
    };
    super(serverOptions, contextOptions(material));
    this.material = material;
    this.warnIfExpiring(material);
    if (files.reloadIntervalMs > 0) {
      this.timer = setInterval(() => this.reload(), files.reloadIntervalMs);
      this.timer.unref();
    }
  }

  /** The certificate now served. */
  current(): TlsMaterial {
    return this.material;
  }

  /** Re-reads the files; swaps the served certificate when they changed and pass the checks. */
  reload(): boolean {
    let next: TlsMaterial;
    try {
      next = loadTlsMaterial(this.files);
    } catch (err) {
      this.log.error({ err: (err as Error).message }, 'TLS files changed but cannot be used; still serving the previous certificate');
      return false;
    }
    const same =
      next.cert.equals(this.material.cert) &&
      next.key.equals(this.material.key) &&
      (next.ca ?? Buffer.alloc(0)).equals(this.material.ca ?? Buffer.alloc(0));
    if (same) return false;
    this.material = next;
    this.updateSecureContextOptions(contextOptions(next));
    this.log.info({ subject: next.subject, fingerprint: next.fingerprint, validTo: next.validTo }, 'TLS certificate reloaded');
    this.warnIfExpiring(next);
    return true;
  }

  close(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  _equals(other: ServerCredentials): boolean {
    return other === this;
  }

  private warnIfExpiring(m: TlsMaterial): void {
    if (m.validTo.getTime() < Date.now()) {
      this.log.warn({ subject: m.subject, validTo: m.validTo }, 'TLS certificate has expired: clients will refuse it');
    }
  }
}

// Test certificates made on the fly with node-forge (keys from Node's native RSA generator, which is fast): a CA,
// certificates it issues for servers (SANs 127.0.0.1 and localhost) and clients, with any validity window, so
// tests can build expired certificates and certificates from a wrong CA.

import * as crypto from 'node:crypto';
import forge from 'node-forge';

export interface Issued {
  cert: string;
  key: string;
}

export interface Authority extends Issued {
  forgeCert: forge.pki.Certificate;
  forgeKey: forge.pki.rsa.PrivateKey;
}

let serial = 1;

function keyPair(): { privateKey: forge.pki.rsa.PrivateKey; publicKey: forge.pki.rsa.PublicKey; pem: string } {
  const { privateKey, publicKey } = crypto.generateKeyPairSync('rsa', { modulusLength: 2048 });
  const pem = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
  return {
    pem,
    privateKey: forge.pki.privateKeyFromPem(pem) as forge.pki.rsa.PrivateKey,
    publicKey: forge.pki.publicKeyFromPem(publicKey.export({ type: 'spki', format: 'pem' }).toString()) as forge.pki.rsa.PublicKey,
  };
}

const DAY = 24 * 3600 * 1000;

function baseCert(publicKey: forge.pki.PublicKey, cn: string, notBefore: Date, notAfter: Date, org = 'inferd tests') {
  const cert = forge.pki.createCertificate();
  cert.publicKey = publicKey;
  cert.serialNumber = `1${(serial++).toString(16).padStart(7, '0')}`; // leading 1: a minimal positive DER integer
  cert.validity.notBefore = notBefore;
  cert.validity.notAfter = notAfter;
  cert.setSubject([
    { shortName: 'O', value: org },
    { shortName: 'CN', value: cn },
  ]);
  return cert;
}

export function makeAuthority(cn: string): Authority {
  const k = keyPair();
  const cert = baseCert(k.publicKey, cn, new Date(Date.now() - DAY), new Date(Date.now() + 365 * DAY));
  cert.setIssuer(cert.subject.attributes);
  cert.setExtensions([
    { name: 'basicConstraints', cA: true, critical: true },
    { name: 'keyUsage', keyCertSign: true, cRLSign: true, critical: true },
  ]);
  cert.sign(k.privateKey, forge.md.sha256.create());
  return { cert: forge.pki.certificateToPem(cert), key: k.pem, forgeCert: cert, forgeKey: k.privateKey };
}

export interface IssueOptions {
  kind: 'server' | 'client';
  notBefore?: Date;
  notAfter?: Date;
}

export function issue(ca: Authority, cn: string, options: IssueOptions): Issued {
  const k = keyPair();
  const cert = baseCert(
    k.publicKey,
    cn,
    options.notBefore ?? new Date(Date.now() - DAY),
    options.notAfter ?? new Date(Date.now() + 30 * DAY),
  );
  cert.setIssuer(ca.forgeCert.subject.attributes);
  const server = options.kind === 'server';
  cert.setExtensions([
    { name: 'basicConstraints', cA: false },
    { name: 'keyUsage', digitalSignature: true, keyEncipherment: true, critical: true },
    { name: 'extKeyUsage', serverAuth: server, clientAuth: !server },
    ...(server
      ? [{ name: 'subjectAltName', altNames: [{ type: 7, ip: '127.0.0.1' }, { type: 2, value: 'localhost' }] }]
      : []),
  ]);
  cert.sign(ca.forgeKey, forge.md.sha256.create());
  return { cert: forge.pki.certificateToPem(cert), key: k.pem };
}

/** A certificate valid from two days ago until yesterday. */
export const EXPIRED = { notBefore: new Date(Date.now() - 2 * DAY), notAfter: new Date(Date.now() - DAY) };

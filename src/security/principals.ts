// Who may call: the principals of a JSON credentials file (or the INFERD_AUTH_PRINCIPALS environment variable),
// each with bearer tokens and/or client-certificate subjects and a list of scopes. Tokens are kept only as SHA-256
// digests: a file may give `tokens` in clear (hashed on load, then dropped) or `token_sha256` digests. Nothing here
// ever logs or returns a token.
//
// {"principals": [
//   {"name": "ci",      "tokens": ["s3cr3t"],            "scopes": ["infer:resnet*", "read"]},
//   {"name": "ops",     "token_sha256": ["9f86d0…"],      "scopes": ["admin"]},
//   {"name": "edge-01", "cert_subjects": ["CN=edge-01,O=Acme"], "scopes": ["infer:*"]}
// ]}

import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import { parseScope, type Scope } from './scopes';

export interface Principal {
  name: string;
  scopes: Scope[];
  /** How the caller proved who it is. */
  via: 'token' | 'certificate' | 'anonymous';
}

interface PrincipalEntry {
  name: string;
  scopes: Scope[];
}

export const sha256Hex = (token: string): string => crypto.createHash('sha256').update(token, 'utf8').digest('hex');

export class PrincipalStore {
  private readonly byTokenDigest = new Map<string, PrincipalEntry>();
  private readonly bySubject = new Map<string, PrincipalEntry>();

  /** Parses the JSON text of a credentials file; `source` names it in errors. */
  static parse(text: string, source: string): PrincipalStore {
    let doc: unknown;
    try {
      doc = JSON.parse(text);
    } catch (err) {
      throw new Error(`${source}: not valid JSON: ${(err as Error).message}`);
    }
    const list = (doc as { principals?: unknown })?.principals;
    if (!Array.isArray(list)) throw new Error(`${source}: expected {"principals": [...]}`);
    const store = new PrincipalStore();
    list.forEach((raw: Record<string, unknown>, i) => store.add(raw, `${source}: principals[${i}]`));
    return store;
  }

  static fromFile(file: string): PrincipalStore {
    let text: string;
    try {
      text = fs.readFileSync(file, 'utf8');
    } catch (err) {
      throw new Error(`auth principals file '${file}' cannot be read: ${(err as Error).message}`);
    }
    return PrincipalStore.parse(text, `auth principals file '${file}'`);
  }

  get size(): number {
    return new Set([...this.byTokenDigest.values(), ...this.bySubject.values()]).size;
  }

  byToken(token: string): Principal | null {
    const entry = this.byTokenDigest.get(sha256Hex(token));
    return entry ? { ...entry, via: 'token' } : null;
  }

  /** The principal of a verified client certificate: a listed subject, else the subject itself with no scopes. */
  byCertificateSubject(subject: string): Principal {
    const entry = this.bySubject.get(subject);
    return entry ? { ...entry, via: 'certificate' } : { name: subject, scopes: [], via: 'certificate' };
  }

  private add(raw: Record<string, unknown>, where: string): void {
    const strings = (key: string): string[] => {
      const v = raw?.[key];
      if (v === undefined) return [];
      if (!Array.isArray(v) || v.some((s) => typeof s !== 'string' || s === '')) {
        throw new Error(`${where}.${key} must be a list of non-empty strings`);
      }
      return v as string[];
    };
    const name = raw?.name;
    if (typeof name !== 'string' || name === '') throw new Error(`${where}.name must be a non-empty string`);
    const entry: PrincipalEntry = {
      name,
      scopes: strings('scopes').map((s) => parseScope(s, `${where} ('${name}')`)),
    };
    const digests = [...strings('tokens').map(sha256Hex), ...strings('token_sha256').map((d) => d.toLowerCase())];
    for (const d of digests) {
      if (!/^[0-9a-f]{64}$/.test(d)) throw new Error(`${where} ('${name}'): token_sha256 entries must be 64 hex digits`);
      if (this.byTokenDigest.has(d)) throw new Error(`${where} ('${name}'): a token is given to two principals`);
      this.byTokenDigest.set(d, entry);
    }
    for (const s of strings('cert_subjects')) {
      if (this.bySubject.has(s)) throw new Error(`${where} ('${name}'): subject '${s}' is given to two principals`);
      this.bySubject.set(s, entry);
    }
    if (digests.length === 0 && strings('cert_subjects').length === 0) {
      throw new Error(`${where} ('${name}') has no tokens, token_sha256 or cert_subjects`);
    }
  }
}

/** "CN=edge-01,O=Acme" from a certificate subject in the order the certificate lists it. */
export function formatSubject(raw: Buffer): string {
  return new crypto.X509Certificate(raw).subject.split('\n').join(',');
}

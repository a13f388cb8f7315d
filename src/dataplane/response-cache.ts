// Triton's response cache (`response_cache { enable: true }` in a model's config): an in-memory LRU of
// inference results keyed on a SHA-256 of the model, the version's load (a reload of the same version number
// starts afresh), every input's name, datatype, shape and exact bytes, the requested outputs and the request
// parameters that can change a result. Bounded by the total bytes of the stored outputs (`--response-cache-bytes`).

import { createHash } from 'node:crypto';
import type { Tensor } from '../tensor/tensor';
import type { InferRequest } from './types';

/** Request parameters that only steer scheduling or routing and never change the outputs. */
const NOT_IN_KEY = new Set(['priority', 'timeout']);

const KEY_OVERHEAD_BYTES = 128;

function tensorBytes(t: Tensor): number {
  return Array.isArray(t.data) ? t.data.reduce((n, e) => n + e.byteLength + 4, 0) : t.data.byteLength;
}

function copyTensor(t: Tensor): Tensor {
  const data = Array.isArray(t.data) ? t.data.map((e) => Uint8Array.from(e)) : t.data.slice();
  return { name: t.name, datatype: t.datatype, shape: [...t.shape], data: data as Tensor['data'] };
}

/** The cache key of a validated request for one loaded version (`loadId`). */
export function responseCacheKey(loadId: number, req: InferRequest, outputs: readonly string[], ignoredParam = ''): string {
  const hash = createHash('sha256');
  const field = (s: string): void => {
    hash.update(String(Buffer.byteLength(s)));
    hash.update(':');
    hash.update(s);
  };
  field(`${req.modelName}\0${loadId}`);
  for (const t of [...req.inputs].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))) {
    field(`${t.name}\0${t.datatype}\0${t.shape.join(',')}`);
    if (Array.isArray(t.data)) {
      field(String(t.data.length));
      for (const e of t.data) {
        field(String(e.byteLength));
        hash.update(e);
      }
    } else {
      field(String(t.data.byteLength));
      hash.update(new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength));
    }
  }
  field([...outputs].sort().join('\0'));
  field(JSON.stringify(req.outputs.map((o) => [o.name, o.parameters]).sort(), (_k, v: unknown) => (typeof v === 'bigint' ? String(v) : v)));
  const params = Object.entries(req.parameters)
    .filter(([k]) => !NOT_IN_KEY.has(k) && k !== ignoredParam)
    .sort(([a], [b]) => (a < b ? -1 : 1))
    .map(([k, v]) => `${k}=${typeof v}:${String(v)}`);
  field(params.join('\0'));
  return hash.digest('hex');
}

interface Entry {
  outputs: Tensor[];
  bytes: number;
}

export class ResponseCache {
  /** Map iteration order is insertion order: the first entry is the least recently used. */
  private readonly entries = new Map<string, Entry>();
  private used = 0;

  constructor(readonly capacityBytes: number) {}

  get bytes(): number {
    return this.used;
  }

  get size(): number {
    return this.entries.size;
  }

  lookup(key: string): Tensor[] | null {
    const entry = this.entries.get(key);
    if (!entry) return null;
    this.entries.delete(key);
    this.entries.set(key, entry);
    return entry.outputs;
  }

  /** Stores a copy of `outputs` (a result larger than the whole cache is not stored). */
  insert(key: string, outputs: readonly Tensor[]): void {
    const bytes = outputs.reduce((n, t) => n + tensorBytes(t), KEY_OVERHEAD_BYTES);
    if (bytes > this.capacityBytes || this.entries.has(key)) return;
    this.entries.set(key, { outputs: outputs.map(copyTensor), bytes });
    this.used += bytes;
    for (const [k, e] of this.entries) {
      if (this.used <= this.capacityBytes) break;
      this.entries.delete(k);
      this.used -= e.bytes;
    }
  }
}

// The `config` parameter of RepositoryModelLoad, as Triton takes it: a model config in JSON (protobuf JSON
// mapping). inferd applies its `version_policy` (the rollback call); any other field is refused, since inferd
// reads the rest of a model's config from its config.pbtxt.
//   {"version_policy": {"specific": {"versions": [1]}}}   {"version_policy": {"latest": {"num_versions": 2}}}
//   {"version_policy": {"all": {}}}

import type { VersionPolicy } from './model-config';

const wholeNumber = (v: unknown): number | null => {
  const n = typeof v === 'string' && /^[0-9]+$/.test(v) ? Number(v) : v;
  return typeof n === 'number' && Number.isSafeInteger(n) && n >= 0 ? n : null;
};

/** Throws an Error naming the problem; the caller adds the model name. */
export function parseVersionPolicyOverride(json: string): VersionPolicy {
  let parsed: unknown;
  try {
    parsed = JSON.parse(json);
  } catch (err) {
    throw new Error(`'config' is not valid JSON: ${(err as Error).message}`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new Error("'config' must be a JSON object");
  const keys = Object.keys(parsed);
  const other = keys.filter((k) => k !== 'version_policy' && k !== 'versionPolicy');
  if (other.length > 0) throw new Error(`'config' may only override version_policy (got ${other.join(', ')})`);
  const vp = (parsed as Record<string, unknown>).version_policy ?? (parsed as Record<string, unknown>).versionPolicy;
  if (typeof vp !== 'object' || vp === null) throw new Error("'config' needs a version_policy object");
  const p = vp as Record<string, Record<string, unknown> | undefined>;
  const kinds = Object.keys(p);
  if (kinds.length !== 1) throw new Error('version_policy needs exactly one of latest, all, specific');
  if (p.all !== undefined) return { kind: 'all' };
  if (p.latest !== undefined) {
    const n = wholeNumber(p.latest.num_versions ?? p.latest.numVersions ?? 1);
    if (n === null || n < 1) throw new Error('version_policy.latest.num_versions must be an integer >= 1');
    return { kind: 'latest', numVersions: n };
  }
  if (p.specific !== undefined) {
    const list = p.specific.versions;
    const versions = Array.isArray(list) ? list.map(wholeNumber) : [];
    if (versions.length === 0 || versions.some((v) => v === null || v < 1)) {
      throw new Error('version_policy.specific.versions must be a non-empty list of version numbers');
    }
    return { kind: 'specific', versions: versions as number[] };
  }
  throw new Error(`version_policy: unknown kind '${kinds[0]}' (expected latest, all or specific)`);
}

// A traffic-split alias: `<repo>/<alias>/split.pbtxt` (inferd's own file, protobuf text format like config.pbtxt)
// names the model versions that answer for the alias and their weights, e.g.
//   sticky_key: "user"
//   arm { model: "simple" version: 1 weight: 90 }
//   arm { model: "simple" version: 2 weight: 10 }
// `version` 0 or absent means the model's highest ready version. Unknown fields are errors: a typo in a routing
// file must not silently send traffic somewhere else.

import { integerFromText, parsePbtxt, type PbMessage, type PbValue } from './pbtxt';

export interface SplitArm {
  model: string;
  /** 0: the model's highest ready version. */
  version: number;
  /** Relative weight (any non-negative numbers; they need not add up to 100). */
  weight: number;
}

export interface SplitConfig {
  arms: SplitArm[];
  /** Request parameter (or gRPC metadata key) whose value pins a caller to one arm; '' = no stickiness. */
  stickyKey: string;
}

function fail(source: string, at: { line: number; col: number }, detail: string): never {
  throw new Error(`${source}:${at.line}:${at.col}: ${detail}`);
}

function only(source: string, msg: PbMessage, known: string[], path: string): void {
  for (const [name, at] of msg.positions) {
    if (!known.includes(name)) fail(source, at, `unknown field '${path}${name}' (expected one of ${known.join(', ')})`);
  }
}

function single(source: string, msg: PbMessage, name: string, path: string): PbValue | undefined {
  const values = msg.fields.get(name);
  if (values === undefined) return undefined;
  if (values.length !== 1) fail(source, msg.positions.get(name) ?? { line: 0, col: 0 }, `field '${path}${name}' must be given once`);
  return values[0];
}

function text(source: string, v: PbValue | undefined, field: string): string | undefined {
  if (v === undefined) return undefined;
  if (v.kind !== 'string') fail(source, v, `field '${field}': expected a quoted string`);
  return v.value;
}

function number(source: string, v: PbValue | undefined, field: string, integer: boolean): number | undefined {
  if (v === undefined) return undefined;
  const n = v.kind === 'number' ? (integer ? Number(integerFromText(v.text) ?? NaN) : v.value) : NaN;
  if (!Number.isFinite(n) || n < 0 || (integer && !Number.isSafeInteger(n))) {
    fail(source, v, `field '${field}': expected a non-negative ${integer ? 'integer' : 'number'}`);
  }
  return n;
}

export function parseSplitConfig(source: string, content: string): SplitConfig {
  const root = parsePbtxt(content, source);
  only(source, root, ['arm', 'sticky_key'], '');
  const arms = (root.fields.get('arm') ?? []).map((v, i): SplitArm => {
    const path = `arm[${i}].`;
    if (v.kind !== 'message') fail(source, v, `field 'arm[${i}]': expected a message { model: … weight: … }`);
    const m = v.value;
    only(source, m, ['model', 'version', 'weight'], path);
    const model = text(source, single(source, m, 'model', path), `${path}model`);
    if (!model) fail(source, v, `field '${path}model' is required`);
    const weight = number(source, single(source, m, 'weight', path), `${path}weight`, false);
    if (weight === undefined) fail(source, v, `field '${path}weight' is required`);
    return { model, version: number(source, single(source, m, 'version', path), `${path}version`, true) ?? 0, weight };
  });
  if (arms.length === 0) fail(source, { line: 1, col: 1 }, "a split needs at least one 'arm { model: … weight: … }'");
  if (!arms.some((a) => a.weight > 0)) fail(source, { line: 1, col: 1 }, 'at least one arm needs a weight above 0');
  return { arms, stickyKey: text(source, single(source, root, 'sticky_key', ''), 'sticky_key') ?? '' };
}

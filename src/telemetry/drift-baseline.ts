// The reference distribution of a model's inputs that drift is measured against: per input tensor, histogram bin
// edges (baseline quantiles) with the share of values in each bin, and per-feature mean and standard deviation.
// Built from representative data by `inferd models baseline`, or from the first requests after load; stored as
// drift_baseline.json next to the model. Also the population stability index (PSI) between two bin shares.

import { readFileSync } from 'node:fs';

export const BASELINE_FILE = 'drift_baseline.json';
export const BASELINE_FORMAT = 'inferd-drift-baseline/1';
/** Per-feature statistics are kept for inputs with at most this many features per row. */
export const MAX_FEATURES = 4096;

export interface InputBaseline {
  /** Values seen. */
  count: number;
  /** Interior bin edges, ascending: bin i holds edges[i-1] <= v < edges[i] (outer bins are open). */
  edges: number[];
  /** Share of baseline values per bin (edges.length + 1 entries, sum 1). */
  proportions: number[];
  /** Per feature (element of one row); empty when the input has more than MAX_FEATURES or varying row sizes. */
  featureMean: number[];
  featureStd: number[];
}

export interface DriftBaseline {
  format: typeof BASELINE_FORMAT;
  /** Where it came from (a data file, or "first N requests"). */
  source: string;
  inputs: Record<string, InputBaseline>;
}

/** Bin index of `v`: the number of edges <= v (binary search). */
export function binOf(edges: readonly number[], v: number): number {
  let lo = 0;
  let hi = edges.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (edges[mid] <= v) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** Baseline of one input from its values (row-major, `features` values per row; 0 = unknown row size). */
export function buildInputBaseline(values: ArrayLike<number>, features: number, bins: number): InputBaseline {
  const n = values.length;
  if (n === 0) throw new Error('a drift baseline needs at least one value');
  const sorted = Float64Array.from(values).sort();
  const edges: number[] = [];
  for (let j = 1; j < bins; j++) {
    const e = sorted[Math.min(n - 1, Math.floor((j * n) / bins))];
    if (edges.length === 0 || e > edges[edges.length - 1]) edges.push(e);
  }
  // A discrete or constant input gives fewer distinct edges; values below the lowest edge keep their own bin.
  if (edges.length > 0 && edges[0] === sorted[0]) edges.shift();
  if (edges.length === 0) edges.push(sorted[0]);
  const counts = new Array<number>(edges.length + 1).fill(0);
  for (let i = 0; i < n; i++) counts[binOf(edges, values[i])]++;
  const featureMean: number[] = [];
  const featureStd: number[] = [];
  if (features > 0 && features <= MAX_FEATURES && n % features === 0) {
    const sum = new Float64Array(features);
    const sumSq = new Float64Array(features);
    for (let i = 0; i < n; i++) {
      const f = i % features;
      sum[f] += values[i];
      sumSq[f] += values[i] * values[i];
    }
    const rows = n / features;
    for (let f = 0; f < features; f++) {
      const mean = sum[f] / rows;
      featureMean.push(mean);
      featureStd.push(Math.sqrt(Math.max(0, sumSq[f] / rows - mean * mean)));
    }
  }
  return { count: n, edges, proportions: counts.map((c) => c / n), featureMean, featureStd };
}

const PSI_FLOOR = 1e-4;

/** Population stability index: sum over bins of (actual - expected) * ln(actual / expected), shares floored. */
export function psi(expected: readonly number[], actual: readonly number[]): number {
  let total = 0;
  for (let i = 0; i < expected.length; i++) {
    const e = Math.max(expected[i], PSI_FLOOR);
    const a = Math.max(actual[i], PSI_FLOOR);
    total += (a - e) * Math.log(a / e);
  }
  return total;
}

/** Reads a baseline file; null when there is none. Throws with the path when it is not a valid baseline. */
export function readBaselineFile(file: string): DriftBaseline | null {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw err;
  }
  const parsed = JSON.parse(text) as Partial<DriftBaseline>;
  if (parsed.format !== BASELINE_FORMAT || typeof parsed.inputs !== 'object' || parsed.inputs === null) {
    throw new Error(`${file}: not an inferd drift baseline (expected format '${BASELINE_FORMAT}')`);
  }
  for (const [name, b] of Object.entries(parsed.inputs)) {
    if (!Array.isArray(b.edges) || !Array.isArray(b.proportions) || b.proportions.length !== b.edges.length + 1) {
      throw new Error(`${file}: input '${name}' needs edges and proportions with one more entry than edges`);
    }
  }
  return parsed as DriftBaseline;
}

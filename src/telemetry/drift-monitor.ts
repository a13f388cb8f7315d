// Input-drift monitoring: every n-th request of a model version is sampled (about MAX_VALUES_PER_SAMPLE values per
// input: whole rows, evenly spaced, so every feature is seen), its values binned against the input's baseline and
// summed per feature. At the end of each window of sampled requests the PSI and the largest feature-mean shift are
// computed for the drift gauges, and crossing the PSI threshold (either way) is logged. Without a baseline file the
// first sampled requests become the baseline.

import type { Logger } from './logger';
import { binOf, buildInputBaseline, MAX_FEATURES, psi, type DriftBaseline, type InputBaseline } from './drift-baseline';
import type { DriftReading } from './metrics';
import { TwoKeyMap } from './two-key-map';

export interface DriftOptions {
  /** Sample every n-th request; 0 = off. */
  sampleEvery: number;
  windowRequests: number;
  baselineRequests: number;
  psiThreshold: number;
  bins: number;
}

/** What the monitor reads of an input tensor. */
export interface SampledTensor {
  name: string;
  datatype: string;
  shape: readonly number[];
  data: unknown;
}

/** Values read of one input of a sampled request (binning a value costs a few mispredicted branches). */
const MAX_VALUES_PER_SAMPLE = 1024;
/** Cap on values kept while a baseline is taken from requests. */
const MAX_BASELINE_VALUES = 200_000;
const NOT_NUMERIC = new Set(['BYTES', 'FP16', 'BF16']);

class InputDrift {
  private baseline: InputBaseline | null;
  private readonly pending: number[] = [];
  private pendingFeatures = -1;
  private counts: Float64Array;
  private values = 0;
  private featureSum = new Float64Array(0);
  private featureCount = new Float64Array(0);
  psi = 0;
  maxFeatureShift = 0;
  /** A PSI value exists (one window completed against a baseline). */
  measured = false;
  over = false;

  constructor(baseline: InputBaseline | null) {
    this.baseline = baseline;
    this.counts = new Float64Array(baseline ? baseline.proportions.length : 0);
    if (baseline) this.resetFeatures(baseline);
  }

  get hasBaseline(): boolean {
    return this.baseline !== null;
  }

  /** Adds one sampled request's values (row-major, `features` per row; 0: unknown row size). */
  add(data: ArrayLike<number | bigint>, features: number): void {
    const { rowLength, step } = samplePlan(data.length, features);
    /** Row size when whole rows are read, else 0 (no per-feature statistics). */
    const rowFeatures = rowLength === features ? features : 0;
    const stride = step * rowLength;
    const b = this.baseline;
    if (!b) {
      if (this.pendingFeatures === -1) this.pendingFeatures = rowFeatures;
      else if (this.pendingFeatures !== rowFeatures) this.pendingFeatures = 0;
      for (let at = 0; at < data.length && this.pending.length + rowLength <= MAX_BASELINE_VALUES; at += stride) {
        for (let f = 0; f < rowLength; f++) this.pending.push(Number(data[at + f]));
      }
      return;
    }
    const perFeature = rowFeatures > 0 && b.featureMean.length === rowFeatures;
    const { counts, featureSum, featureCount } = this;
    for (let at = 0; at < data.length; at += stride) {
      for (let f = 0; f < rowLength; f++) {
        const v = Number(data[at + f]);
        counts[binOf(b.edges, v)]++;
        if (perFeature) {
          featureSum[f] += v;
          featureCount[f]++;
        }
      }
      this.values += rowLength;
    }
  }

  /** Turns the values collected so far into the baseline. */
  freezeBaseline(bins: number): void {
    if (this.pending.length === 0) return;
    this.baseline = buildInputBaseline(this.pending, this.pendingFeatures, bins);
    this.pending.length = 0;
    this.counts = new Float64Array(this.baseline.proportions.length);
    this.resetFeatures(this.baseline);
  }

  /** Computes PSI and feature shift of the window, then starts a new one. */
  closeWindow(): void {
    const b = this.baseline;
    if (!b || this.values === 0) return;
    this.psi = psi(b.proportions, Array.from(this.counts, (c) => c / this.values));
    let shift = 0;
    for (let f = 0; f < b.featureMean.length; f++) {
      if (this.featureCount[f] === 0) continue;
      const d = Math.abs(this.featureSum[f] / this.featureCount[f] - b.featureMean[f]);
      const std = b.featureStd[f];
      shift = Math.max(shift, std > 0 ? d / std : d > 0 ? Number.MAX_VALUE : 0);
    }
    this.maxFeatureShift = shift;
    this.measured = true;
    this.counts.fill(0);
    this.values = 0;
    this.resetFeatures(b);
  }

  private resetFeatures(b: InputBaseline): void {
    this.featureSum = new Float64Array(b.featureMean.length);
    this.featureCount = new Float64Array(b.featureMean.length);
  }
}

class ModelDrift {
  seen = 0;
  sampled = 0;
  readonly inputs = new Map<string, InputDrift>();

  constructor(
    readonly name: string,
    readonly version: number,
    readonly baseline: DriftBaseline | null,
  ) {}

  input(name: string): InputDrift | null {
    let d = this.inputs.get(name);
    if (!d) {
      if (this.baseline && !this.baseline.inputs[name]) return null;
      d = new InputDrift(this.baseline?.inputs[name] ?? null);
      this.inputs.set(name, d);
    }
    return d;
  }
}

export class DriftMonitor {
  /** By model name and version. */
  private readonly models = new TwoKeyMap<string, number, ModelDrift>();

  constructor(
    private readonly options: DriftOptions,
    private readonly log: Logger,
  ) {}

  get enabled(): boolean {
    return this.options.sampleEvery > 0;
  }

  /** A version became ready: start watching it against `baseline` (null: take one from its first requests). */
  attach(name: string, version: number, baseline: DriftBaseline | null): void {
    if (!this.enabled) return;
    this.models.set(name, version, new ModelDrift(name, version, baseline));
    this.log.info(
      { model: name, version, baseline: baseline ? baseline.source : `first ${this.options.baselineRequests} sampled requests` },
      'drift monitoring started',
    );
  }

  detach(name: string, version: number): void {
    this.models.delete(name, version);
  }

  /** Hot path: one counter increment for requests that are not sampled. */
  observe(name: string, version: number, inputs: readonly SampledTensor[], rows: number): void {
    const m = this.models.get(name, version);
    if (!m || ++m.seen % this.options.sampleEvery !== 0) return;
    m.sampled++;
    const takingBaseline = m.baseline === null && m.sampled <= this.options.baselineRequests;
    for (const t of inputs) {
      if (NOT_NUMERIC.has(t.datatype) || !isNumericArray(t.data)) continue;
      const d = m.input(t.name);
      if (!d) continue;
      d.add(t.data, rows > 0 ? t.data.length / rows : 0);
    }
    if (takingBaseline) {
      if (m.sampled === this.options.baselineRequests) {
        for (const d of m.inputs.values()) d.freezeBaseline(this.options.bins);
        this.log.info({ model: name, version, requests: m.sampled }, 'drift baseline taken from requests');
      }
      return;
    }
    const windowed = m.sampled - (m.baseline === null ? this.options.baselineRequests : 0);
    if (windowed % this.options.windowRequests === 0) this.closeWindow(m);
  }

  readings(): DriftReading[] {
    const out: DriftReading[] = [];
    for (const m of this.models.values()) {
      for (const [input, d] of m.inputs) {
        if (d.measured) out.push({ model: m.name, version: m.version, input, psi: d.psi, maxFeatureShift: d.maxFeatureShift });
      }
    }
    return out;
  }

  private closeWindow(m: ModelDrift): void {
    const threshold = this.options.psiThreshold;
    for (const [input, d] of m.inputs) {
      if (!d.hasBaseline) continue;
      d.closeWindow();
      const fields = { model: m.name, version: m.version, input, psi: round(d.psi), threshold, max_feature_shift: round(d.maxFeatureShift) };
      if (!d.over && d.psi >= threshold) {
        d.over = true;
        this.log.warn(fields, 'input drift over threshold');
      } else if (d.over && d.psi < threshold) {
        d.over = false;
        this.log.info(fields, 'input drift back under threshold');
      }
    }
  }
}

const round = (x: number): number => Math.round(x * 1e4) / 1e4;

/**
 * Which values of an input of `n` values one sample reads: every `step`-th run of `rowLength` values from the
 * start. Whole rows when the row size is known and small enough for per-feature statistics; single values
 * otherwise (the row length is then 1).
 */
export function samplePlan(n: number, features: number): { rowLength: number; step: number } {
  const rowLength = features > 0 && features <= MAX_FEATURES && n % features === 0 ? features : 1;
  const rowsPerSample = Math.max(1, Math.floor(MAX_VALUES_PER_SAMPLE / rowLength));
  return { rowLength, step: Math.max(1, Math.ceil(n / rowLength / rowsPerSample)) };
}

function isNumericArray(data: unknown): data is ArrayLike<number | bigint> {
  return ArrayBuffer.isView(data) && !(data instanceof DataView);
}

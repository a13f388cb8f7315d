// Histograms and counters for metrics updated on every request: each label set is resolved once into a series,
// and observing or counting on a series is plain arithmetic. prom-client's own Histogram and Counter validate,
// hash and look up the label set on every call (through `labels()` children too), and its histogram keys bucket
// counts by the bound's number-to-string form: together about a fifth of inferd's own CPU per small request.
// These metrics register in a prom-client Registry and print exactly like prom-client's own (same samples, same
// label order), which reads them only at scrape time.

import type { Metric } from 'prom-client';

/** The registry a metric joins (any prom-client Registry, whatever its content type). */
interface Registry {
  registerMetric(metric: Metric): void;
}

type Labels = Record<string, string>;

/** One printed line: prom-client prints `labels`, then `sharedLabels`; no metricName means the metric's name. */
interface Sample {
  labels: Labels;
  sharedLabels: Labels;
  value: number;
  metricName?: string;
}

/** What prom-client's Registry reads from a metric (the shape its own metrics' get() gives). */
interface Snapshot<V> {
  name: string;
  help: string;
  type: 'histogram' | 'counter';
  aggregator: 'sum';
  values: V[];
}

/** What prom-client's Registry asks of a metric to print and merge it. */
abstract class SeriesMetric<S extends { labels: Labels }> {
  readonly aggregator = 'sum' as const;
  /** Not readonly: Registry.metrics() renames counters for OpenMetrics output. */
  name: string;
  protected readonly series = new Map<string, S>();

  constructor(
    name: string,
    readonly help: string,
    readonly type: 'histogram' | 'counter',
    registry: Registry,
  ) {
    this.name = name;
    registry.registerMetric(this as unknown as Metric);
  }

  /** The samples as prom-client prints them: `labels` first, then the series' own (`sharedLabels`). */
  protected abstract samples(s: S): Sample[];

  protected resolve(labels: Labels, create: () => S): S {
    const key = Object.values(labels).join('\u0000');
    let s = this.series.get(key);
    if (!s) {
      s = create();
      this.series.set(key, s);
    }
    return s;
  }

  /** Read by Registry.metrics() (the text exposition). */
  async getForPromString(): Promise<Snapshot<Sample>> {
    const values: Sample[] = [];
    for (const s of this.series.values()) values.push(...this.samples(s));
    return { name: this.name, help: this.help, type: this.type, values, aggregator: this.aggregator };
  }

  /** Read by Registry.getMetricsAsJSON(): each sample's labels in one object, as prom-client gives them. */
  async get(): Promise<Snapshot<{ labels: Labels; value: number; metricName?: string }>> {
    const data = await this.getForPromString();
    return { ...data, values: data.values.map(({ labels, sharedLabels, value, metricName }) => ({ labels: { ...labels, ...sharedLabels }, value, metricName })) };
  }

  /** Registry.resetMetrics(): every series back to zero (the series stay resolved). */
  abstract reset(): void;
}

/** One label set of a SeriesHistogram. */
export class HistogramSeries {
  /** Observations per bucket (not cumulative); the last one counts those above every bound. */
  readonly counts: Float64Array;
  sum = 0;
  count = 0;

  constructor(
    readonly labels: Labels,
    private readonly bounds: readonly number[],
  ) {
    this.counts = new Float64Array(bounds.length + 1);
  }

  observe(value: number): void {
    const bounds = this.bounds;
    let i = 0;
    while (i < bounds.length && value > bounds[i]) i++;
    this.counts[i]++;
    this.sum += value;
    this.count++;
  }
}

export class SeriesHistogram extends SeriesMetric<HistogramSeries> {
  private readonly bounds: readonly number[];

  constructor(options: { name: string; help: string; buckets: readonly number[]; registry: Registry }) {
    super(options.name, options.help, 'histogram', options.registry);
    this.bounds = [...options.buckets].sort((a, b) => a - b);
  }

  /** The series of `labels` (label name → value, always given in the same order), made on first use. */
  labels(labels: Labels): HistogramSeries {
    return this.resolve(labels, () => new HistogramSeries(labels, this.bounds));
  }

  protected samples(s: HistogramSeries): Sample[] {
    const bucket = `${this.name}_bucket`;
    let cumulative = 0;
    const out: Sample[] = this.bounds.map((le, i) => {
      cumulative += s.counts[i];
      return { labels: { le: le as unknown as string }, sharedLabels: s.labels, value: cumulative, metricName: bucket };
    });
    out.push(
      { labels: { le: '+Inf' }, sharedLabels: s.labels, value: s.count, metricName: bucket },
      { labels: {}, sharedLabels: s.labels, value: s.sum, metricName: `${this.name}_sum` },
      { labels: {}, sharedLabels: s.labels, value: s.count, metricName: `${this.name}_count` },
    );
    return out;
  }

  reset(): void {
    for (const s of this.series.values()) {
      s.counts.fill(0);
      s.sum = 0;
      s.count = 0;
    }
  }
}

/** One label set of a SeriesCounter. */
export class CounterSeries {
  value = 0;

  constructor(readonly labels: Labels) {}

  inc(by = 1): void {
    this.value += by;
  }
}

export class SeriesCounter extends SeriesMetric<CounterSeries> {
  constructor(options: { name: string; help: string; registry: Registry }) {
    super(options.name, options.help, 'counter', options.registry);
  }

  labels(labels: Labels): CounterSeries {
    return this.resolve(labels, () => new CounterSeries(labels));
  }

  protected samples(s: CounterSeries): Sample[] {
    return [{ labels: s.labels, sharedLabels: {}, value: s.value }];
  }

  reset(): void {
    for (const s of this.series.values()) s.value = 0;
  }
}

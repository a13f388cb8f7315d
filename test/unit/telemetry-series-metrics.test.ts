// series-metrics.ts against prom-client's own Histogram and Counter: the same observations print the same
// exposition (Prometheus text and OpenMetrics) and the same JSON (less exemplars), and a reset zeroes every series.

import { Counter, Histogram, Registry, type RegistryContentType } from 'prom-client';
import { SeriesCounter, SeriesHistogram } from '../../src/telemetry/series-metrics';

const BUCKETS = [0.0001, 0.001, 0.01, 0.1, 1];
const OBSERVATIONS: Array<[{ model: string; version: string }, number]> = [
  [{ model: 'a', version: '1' }, 0.00005],
  [{ model: 'a', version: '1' }, 0.0001], // on a bound: counted in that bucket (le is inclusive)
  [{ model: 'a', version: '1' }, 0.02],
  [{ model: 'b"quoted\\', version: '2' }, 0.5],
  [{ model: 'a', version: '1' }, 7], // above every bound: +Inf only
  [{ model: 'b"quoted\\', version: '2' }, 0],
];

type AnyRegistry = Registry<RegistryContentType>;

function pair(): { ours: AnyRegistry; theirs: AnyRegistry; histogram: SeriesHistogram; counter: SeriesCounter; promHistogram: Histogram<string>; promCounter: Counter<string> } {
  const ours: AnyRegistry = new Registry<RegistryContentType>();
  const theirs: AnyRegistry = new Registry<RegistryContentType>();
  // Registered in the same order in both registries, so the expositions list them alike.
  const histogram = new SeriesHistogram({ name: 'h_seconds', help: 'a histogram', buckets: [...BUCKETS].reverse(), registry: ours });
  const counter = new SeriesCounter({ name: 'c_total', help: 'a counter', registry: ours });
  const promHistogram = new Histogram({ name: 'h_seconds', help: 'a histogram', labelNames: ['model', 'version'], buckets: BUCKETS, registers: [theirs] });
  const promCounter = new Counter({ name: 'c_total', help: 'a counter', labelNames: ['model', 'version', 'code'], registers: [theirs] });
  return { ours, theirs, histogram, counter, promHistogram, promCounter };
}

function observeBoth(p: ReturnType<typeof pair>): void {
  for (const [labels, value] of OBSERVATIONS) {
    p.histogram.labels(labels).observe(value);
    p.promHistogram.labels(labels).observe(value);
    const counted = { ...labels, code: value > 0.01 ? 'SLOW' : 'OK' };
    p.counter.labels(counted).inc();
    p.promCounter.labels(counted).inc();
  }
  p.counter.labels({ model: 'a', version: '1', code: 'OK' }).inc(2.5);
  p.promCounter.labels({ model: 'a', version: '1', code: 'OK' }).inc(2.5);
}

test('the same observations print the same Prometheus text exposition as prom-client', async () => {
  const p = pair();
  observeBoth(p);
  const text = await p.ours.metrics();
  expect(text).toBe(await p.theirs.metrics());
  expect(text).toContain('h_seconds_bucket{le="0.0001",model="a",version="1"} 2');
  expect(text).toContain('h_seconds_bucket{le="+Inf",model="a",version="1"} 4');
  expect(text).toContain('h_seconds_sum{model="a",version="1"} 7.02015');
  expect(text).toContain('c_total{model="a",version="1",code="OK"} 4.5');
});

test('the same observations print the same OpenMetrics exposition and JSON as prom-client', async () => {
  const p = pair();
  observeBoth(p);
  for (const r of [p.ours, p.theirs]) r.setContentType(Registry.OPENMETRICS_CONTENT_TYPE);
  expect(await p.ours.metrics()).toBe(await p.theirs.metrics());
  // prom-client's samples also carry an `exemplar` (null here); series metrics have none.
  const plain = (v: unknown): unknown => JSON.parse(JSON.stringify(v, (key, value: unknown) => (key === 'exemplar' ? undefined : value)));
  expect(plain(await p.ours.getMetricsAsJSON())).toEqual(plain(await p.theirs.getMetricsAsJSON()));
});

test('a label set resolves to one series however often it is asked for', () => {
  const p = pair();
  const first = p.histogram.labels({ model: 'a', version: '1' });
  expect(p.histogram.labels({ model: 'a', version: '1' })).toBe(first);
  expect(p.histogram.labels({ model: 'a', version: '2' })).not.toBe(first);
});

test('resetMetrics zeroes every series, which keep counting afterwards', async () => {
  const p = pair();
  observeBoth(p);
  p.ours.resetMetrics();
  p.theirs.resetMetrics();
  const text = await p.ours.metrics();
  expect(text).toContain('h_seconds_count{model="a",version="1"} 0');
  expect(text).toContain('c_total{model="a",version="1",code="OK"} 0');
  const series = p.histogram.labels({ model: 'a', version: '1' });
  series.observe(0.5);
  expect(series.count).toBe(1);
  expect(Array.from(series.counts)).toEqual([0, 0, 0, 0, 1, 0]);
});

// The drift monitor's sampling: which values of a sampled request it reads (whole rows, evenly spaced, about 1024
// values), that every feature of a wide input is still watched, and that a baseline taken from requests keeps
// per-feature statistics only when whole rows were read.

import pino from 'pino';
import { DriftMonitor, samplePlan } from '../../src/telemetry/drift-monitor';
import { buildInputBaseline, type DriftBaseline } from '../../src/telemetry/drift-baseline';

const silent = pino({ level: 'silent' });

test('a sample reads whole rows, evenly spaced, about 1024 values', () => {
  expect(samplePlan(8 * 512, 512)).toEqual({ rowLength: 512, step: 4 });
  expect(samplePlan(64, 64)).toEqual({ rowLength: 64, step: 1 });
  expect(samplePlan(32 * 64, 64)).toEqual({ rowLength: 64, step: 2 });
  // One row at least, however wide (up to the per-feature limit).
  expect(samplePlan(3 * 4096, 4096)).toEqual({ rowLength: 4096, step: 3 });
  // Rows too wide for per-feature statistics, or no row size: single values, strided.
  expect(samplePlan(2 * 5000, 5000)).toEqual({ rowLength: 1, step: 10 });
  expect(samplePlan(10_000, 0)).toEqual({ rowLength: 1, step: 10 });
});

/** `rows` rows of `features` values: feature f is f + noise, the last feature moved by `lastShift`. */
function rowsOf(rows: number, features: number, lastShift: number, seed: number): Float32Array {
  let s = seed;
  const noise = (): number => ((s = (s * 1103515245 + 12345) % 2 ** 31) / 2 ** 31) - 0.5;
  const out = new Float32Array(rows * features);
  for (let r = 0; r < rows; r++) {
    for (let f = 0; f < features; f++) out[r * features + f] = f + noise() + (f === features - 1 ? lastShift : 0);
  }
  return out;
}

function baselineFor(features: number): DriftBaseline {
  const input = buildInputBaseline(rowsOf(200, features, 0, 1), features, 10);
  return { format: 'inferd-drift-baseline/1', source: 'test', inputs: { X: input } };
}

const options = { sampleEvery: 1, windowRequests: 4, baselineRequests: 4, psiThreshold: 0.2, bins: 10 };

test('every feature of a wide input is watched: a shift of the last feature shows', () => {
  const monitor = new DriftMonitor(options, silent);
  monitor.attach('wide', 1, baselineFor(512));
  for (let i = 0; i < 4; i++) {
    const data = rowsOf(8, 512, 5, 100 + i);
    monitor.observe('wide', 1, [{ name: 'X', datatype: 'FP32', shape: [8, 512], data }], 8);
  }
  const [reading] = monitor.readings();
  expect(reading).toMatchObject({ model: 'wide', version: 1, input: 'X' });
  // Feature noise has a standard deviation of about 0.29: a shift of 5 is over ten of them.
  expect(reading.maxFeatureShift).toBeGreaterThan(10);

  const steady = new DriftMonitor(options, silent);
  steady.attach('wide', 1, baselineFor(512));
  for (let i = 0; i < 4; i++) {
    const data = rowsOf(8, 512, 0, 200 + i);
    steady.observe('wide', 1, [{ name: 'X', datatype: 'FP32', shape: [8, 512], data }], 8);
  }
  expect(steady.readings()[0].maxFeatureShift).toBeLessThan(5);
});

test('a baseline taken from requests keeps per-feature statistics when whole rows were read', () => {
  const monitor = new DriftMonitor(options, silent);
  monitor.attach('wide', 1, null);
  const send = (shift: number, seed: number): void =>
    monitor.observe('wide', 1, [{ name: 'X', datatype: 'FP32', shape: [8, 512], data: rowsOf(8, 512, shift, seed) }], 8);
  for (let i = 0; i < 4; i++) send(0, 300 + i); // the baseline
  for (let i = 0; i < 4; i++) send(5, 400 + i); // one window, last feature shifted
  expect(monitor.readings()[0].maxFeatureShift).toBeGreaterThan(10);
});

// Drift arithmetic: bin edges from quantiles, bin lookup, PSI on identical and shifted shares, per-feature stats,
// the baseline command's row flattening, and baseline file validation.

import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { baselineFromData, flattenRows } from '../../src/cli/models-baseline';
import { binOf, buildInputBaseline, psi, readBaselineFile } from '../../src/telemetry/drift-baseline';

test('quantile edges split continuous data into equal shares', () => {
  const values = Array.from({ length: 1000 }, (_, i) => i);
  const b = buildInputBaseline(values, 1, 10);
  expect(b.edges).toEqual([100, 200, 300, 400, 500, 600, 700, 800, 900]);
  expect(b.proportions).toEqual(new Array(10).fill(0.1));
  expect(b.count).toBe(1000);
});

test('discrete and constant data keep distinct edges and a bin below the minimum', () => {
  const b = buildInputBaseline([0, 0, 0, 1, 1, 2], 0, 10);
  expect(b.edges).toEqual([1, 2]);
  expect(b.proportions).toEqual([3 / 6, 2 / 6, 1 / 6]);
  const c = buildInputBaseline([5, 5, 5], 1, 4);
  expect(c.edges).toEqual([5]);
  expect(c.proportions).toEqual([0, 1]);
  expect(binOf(c.edges, 4.9)).toBe(0);
  expect(binOf(c.edges, 5)).toBe(1);
});

test('PSI is 0 for identical shares and grows with the shift', () => {
  const e = [0.25, 0.25, 0.25, 0.25];
  expect(psi(e, e)).toBe(0);
  const small = psi(e, [0.3, 0.25, 0.25, 0.2]);
  expect(small).toBeCloseTo(0.05 * Math.log(0.3 / 0.25) + -0.05 * Math.log(0.2 / 0.25), 12);
  expect(psi(e, [0.7, 0.1, 0.1, 0.1])).toBeGreaterThan(0.25);
  // An empty bin is floored, so PSI stays finite.
  expect(Number.isFinite(psi(e, [1, 0, 0, 0]))).toBe(true);
});

test('per-feature mean and std of row-major values', () => {
  const b = buildInputBaseline([1, 10, 3, 10, 5, 10], 2, 2);
  expect(b.featureMean).toEqual([3, 10]);
  expect(b.featureStd[0]).toBeCloseTo(Math.sqrt(8 / 3), 12);
  expect(b.featureStd[1]).toBe(0);
});

test('flattenRows counts values per row and names the bad value', () => {
  expect(flattenRows('X', [[1, 2], [3, 4]])).toEqual({ values: [1, 2, 3, 4], features: 2 });
  expect(flattenRows('X', [[[1], [2]], [[3], [4]]])).toEqual({ values: [1, 2, 3, 4], features: 2 });
  expect(flattenRows('X', [[1, 2], [3]]).features).toBe(0);
  expect(() => flattenRows('X', [[1, 'a']])).toThrow(`input 'X' row 0[1]: expected a finite number, got "a"`);
  expect(() => flattenRows('X', [])).toThrow(`input 'X': expected a non-empty array of rows`);
});

test('a written baseline reads back; a file of another format is refused with its path', async () => {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'inferd-baseline-'));
  const file = path.join(dir, 'drift_baseline.json');
  const b = baselineFromData({ INPUT: [[1, 2], [3, 4], [5, 6]] }, 'data.json', 3);
  await fs.writeFile(file, JSON.stringify(b));
  expect(readBaselineFile(file)).toEqual(b);
  expect(readBaselineFile(path.join(dir, 'missing.json'))).toBeNull();
  await fs.writeFile(file, JSON.stringify({ format: 'other', inputs: {} }));
  expect(() => readBaselineFile(file)).toThrow(`${file}: not an inferd drift baseline`);
});

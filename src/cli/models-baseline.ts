// `inferd models baseline`: writes a model's drift baseline (drift_baseline.json, read when the model loads) from
// representative input data: a JSON object mapping each input name to its rows (nested arrays of numbers).

import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { Command, Option } from 'commander';
import { BASELINE_FILE, BASELINE_FORMAT, buildInputBaseline, type DriftBaseline } from '../telemetry/drift-baseline';

/** Flattens one input's rows; returns the values and the values per row (0 when rows differ in size). */
export function flattenRows(input: string, rows: unknown): { values: number[]; features: number } {
  if (!Array.isArray(rows) || rows.length === 0) throw new Error(`input '${input}': expected a non-empty array of rows`);
  const values: number[] = [];
  let features = -1;
  const walk = (v: unknown, where: string): void => {
    if (Array.isArray(v)) v.forEach((x, i) => walk(x, `${where}[${i}]`));
    else if (typeof v === 'number' && Number.isFinite(v)) values.push(v);
    else if (typeof v === 'boolean') values.push(v ? 1 : 0);
    else throw new Error(`input '${input}' ${where}: expected a finite number, got ${JSON.stringify(v)}`);
  };
  rows.forEach((row, i) => {
    const before = values.length;
    walk(row, `row ${i}`);
    const n = values.length - before;
    features = features === -1 || features === n ? n : 0;
  });
  return { values, features };
}

/** Baseline of every input in `data` (input name → rows). */
export function baselineFromData(data: Record<string, unknown>, source: string, bins: number): DriftBaseline {
  const inputs: DriftBaseline['inputs'] = {};
  for (const [name, rows] of Object.entries(data)) {
    const { values, features } = flattenRows(name, rows);
    inputs[name] = buildInputBaseline(values, features, bins);
  }
  if (Object.keys(inputs).length === 0) throw new Error('the data file names no input');
  return { format: BASELINE_FORMAT, source, inputs };
}

export function baselineCommand(): Command {
  return new Command('baseline')
    .description(`write <model-dir>/${BASELINE_FILE} (input-drift baseline) from representative input data`)
    .argument('<model-dir>', 'the model folder in the repository (holds config.pbtxt and version folders)')
    .requiredOption('--data <file>', 'JSON object: input name → array of rows (numbers or nested arrays of numbers)')
    .addOption(new Option('--version <n>', 'write into the version folder instead (that version only)'))
    .addOption(new Option('--bins <n>', 'histogram bins (quantiles of the data)').default('10'))
    .action(async (modelDir: string, opts: { data: string; version?: string; bins: string }) => {
      const bins = Number(opts.bins);
      if (!Number.isSafeInteger(bins) || bins < 2 || bins > 100) throw new Error(`--bins must be an integer in [2, 100], got '${opts.bins}'`);
      if (opts.version !== undefined && !/^[0-9]+$/.test(opts.version)) throw new Error(`--version must be a version number, got '${opts.version}'`);
      const stat = await fs.stat(modelDir).catch(() => null);
      if (!stat?.isDirectory()) throw new Error(`${modelDir} is not a model folder`);
      const data = JSON.parse(await fs.readFile(opts.data, 'utf8')) as unknown;
      if (typeof data !== 'object' || data === null || Array.isArray(data)) {
        throw new Error(`${opts.data}: expected a JSON object mapping input names to rows`);
      }
      const baseline = baselineFromData(data as Record<string, unknown>, path.basename(opts.data), bins);
      const out = path.join(modelDir, opts.version ?? '', BASELINE_FILE);
      await fs.writeFile(out, `${JSON.stringify(baseline, null, 1)}\n`);
      const summary = Object.entries(baseline.inputs).map(([n, b]) => `${n}: ${b.count} values, ${b.proportions.length} bins`);
      console.log(`wrote ${out} (${summary.join('; ')})`);
    });
}

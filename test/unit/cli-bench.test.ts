// Owns: the pure parts of `inferd bench`: concurrency ranges, --input/--shape parsing, generated request inputs
// (shapes and byte sizes per datatype, values from a data file) and the SVG plot.

import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { parseConcurrency } from '../../src/cli/bench';
import { buildInputs, parseInputSpec, parseShapeOverride } from '../../src/cli/bench/inputs';
import { benchSvg } from '../../src/cli/bench/svg';

describe('inferd bench parsing', () => {
  it('reads concurrency lists and ranges', () => {
    expect(parseConcurrency('1:64:x2')).toEqual([1, 2, 4, 8, 16, 32, 64]);
    expect(parseConcurrency('1:7:3')).toEqual([1, 4, 7]);
    expect(parseConcurrency('1,4,16')).toEqual([1, 4, 16]);
    expect(() => parseConcurrency('0:4')).toThrow(/--concurrency '0:4'/);
    expect(() => parseConcurrency('1:8:x1')).toThrow(/start:end/);
  });

  it('reads --input and --shape', () => {
    expect(parseInputSpec('INPUT:FP32:-1,512')).toEqual({ name: 'INPUT', datatype: 'FP32', shape: [-1, 512] });
    expect(() => parseInputSpec('INPUT:FLOAT:1')).toThrow(/NAME:DATATYPE:d1,d2/);
    expect(parseShapeOverride('X:3,4')).toEqual(['X', [3, 4]]);
    expect(() => parseShapeOverride('X:a')).toThrow(/--shape 'X:a'/);
  });
});

describe('inferd bench inputs', () => {
  it('puts the batch size first, fills variable dims from --shape, sizes raw data by datatype', async () => {
    const inputs = await buildInputs(
      [
        { name: 'A', datatype: 'FP32', shape: [-1, 4] },
        { name: 'B', datatype: 'INT64', shape: [-1, -1] },
        { name: 'S', datatype: 'BYTES', shape: [-1, 2] },
      ],
      true,
      3,
      new Map([['B', [5]]]),
      null,
    );
    expect(inputs.map((i) => i.shape)).toEqual([[3, 4], [3, 5], [3, 2]]);
    expect(inputs[0].raw[0].byteLength).toBe(3 * 4 * 4);
    expect(inputs[1].raw[0].byteLength).toBe(3 * 5 * 8);
    const s = inputs[2].raw[0];
    let elements = 0;
    for (let at = 0; at < s.length; at += 4 + s.readUInt32LE(at)) elements++;
    expect(elements).toBe(6);
    expect(inputs[0].raw.length).toBeGreaterThan(1);
  });

  it('refuses a variable dim without --shape', async () => {
    await expect(buildInputs([{ name: 'B', datatype: 'FP32', shape: [-1, -1] }], true, 1, new Map(), null)).rejects.toThrow(
      /input 'B' has a variable dim 0; give its size with --shape B:d1,d2/,
    );
  });

  it('takes values from a JSON data file', async () => {
    const file = path.join(await fs.mkdtemp(path.join(os.tmpdir(), 'bench-data-')), 'data.json');
    await fs.writeFile(file, JSON.stringify({ X: [1, 2, 3, 4] }));
    const [x] = await buildInputs([{ name: 'X', datatype: 'INT32', shape: [-1, 2] }], true, 2, new Map(), file);
    expect(Array.from(new Int32Array(x.raw[0].buffer, x.raw[0].byteOffset, 4))).toEqual([1, 2, 3, 4]);
    await expect(buildInputs([{ name: 'X', datatype: 'INT32', shape: [-1, 3] }], true, 2, new Map(), file)).rejects.toThrow(
      /has 4 values; its shape needs 6/,
    );
  });
});

describe('benchSvg', () => {
  it('plots one throughput and one p99 point per level, labelled with its concurrency', () => {
    const svg = benchSvg('t <&>', [
      { concurrency: 1, throughput: 100, p99Ms: 1.5 },
      { concurrency: 4, throughput: 350, p99Ms: 2.5 },
      { concurrency: 16, throughput: 900, p99Ms: 9 },
    ]);
    expect(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg"')).toBe(true);
    expect(svg).toContain('t &#60;&#38;&#62;');
    expect(svg.match(/<circle /g)).toHaveLength(6);
    expect(svg).toContain('<title>16: 900 infer/s</title>');
    expect(svg).toContain('<title>4: p99 2.50 ms</title>');
    expect(svg.trim().endsWith('</svg>')).toBe(true);
  });
});

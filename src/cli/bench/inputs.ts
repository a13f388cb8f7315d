// Builds the input tensors `inferd bench` sends: names, datatypes and shapes from the model's metadata (or from
// --input specs for a server without metadata), the batch size as dim 0, --shape overrides for variable dims, and
// contents either random (a few variants, so requests differ) or read from a JSON file {"NAME": [values…]}.

import { promises as fs } from 'node:fs';
import { DATATYPE_INFO, isDatatype, type Datatype } from '../../tensor/datatypes';
import { fp32ToBf16Bits, fp32ToFp16Bits } from '../../tensor/half';
import type { InputSpec } from './load';

export interface TensorSpec {
  name: string;
  datatype: string;
  /** Dims as the server reports them; -1 for a variable dim (dim 0 of a batching model included). */
  shape: number[];
}

const RANDOM_VARIANTS = 8;

/** `NAME:DTYPE:d1,d2` → a TensorSpec (for servers that answer no ModelMetadata). */
export function parseInputSpec(text: string): TensorSpec {
  const [name, datatype, dims] = text.split(':');
  if (!name || !datatype || dims === undefined || !isDatatype(datatype)) {
    throw new Error(`--input '${text}' must look like NAME:DATATYPE:d1,d2 (e.g. INPUT:FP32:-1,512)`);
  }
  return { name, datatype, shape: dims === '' ? [] : dims.split(',').map(Number) };
}

/** `NAME:d1,d2` → [name, dims]: the shape to send for NAME without its batch dim. */
export function parseShapeOverride(text: string): [string, number[]] {
  const [name, dims] = text.split(':');
  const shape = (dims ?? '').split(',').map(Number);
  if (!name || shape.some((d) => !Number.isSafeInteger(d) || d < 0)) throw new Error(`--shape '${text}' must look like NAME:d1,d2`);
  return [name, shape];
}

function resolveShape(t: TensorSpec, batched: boolean, batchSize: number, overrides: Map<string, number[]>): number[] {
  const override = overrides.get(t.name);
  const inner = override ?? (batched ? t.shape.slice(1) : t.shape);
  const bad = inner.findIndex((d) => d < 0);
  if (bad >= 0) throw new Error(`input '${t.name}' has a variable dim ${bad}; give its size with --shape ${t.name}:d1,d2`);
  return batched ? [batchSize, ...inner] : inner;
}

function randomRaw(datatype: Datatype, count: number): Buffer {
  if (datatype === 'BYTES') {
    return Buffer.concat(
      Array.from({ length: count }, () => {
        const s = Buffer.from(String(Math.floor(Math.random() * 1e6)));
        const len = Buffer.alloc(4);
        len.writeUInt32LE(s.length);
        return Buffer.concat([len, s]);
      }),
    );
  }
  const info = DATATYPE_INFO[datatype];
  const arr = new (info.array as new (n: number) => ArrayLike<number | bigint> & { buffer: ArrayBuffer })(count);
  const out = arr as unknown as Array<number | bigint>;
  for (let i = 0; i < count; i++) {
    const r = Math.random();
    switch (datatype) {
      case 'FP32':
      case 'FP64':
        out[i] = r * 2 - 1;
        break;
      case 'FP16':
        out[i] = fp32ToFp16Bits(r);
        break;
      case 'BF16':
        out[i] = fp32ToBf16Bits(r);
        break;
      case 'BOOL':
        out[i] = r < 0.5 ? 0 : 1;
        break;
      case 'INT64':
      case 'UINT64':
        out[i] = BigInt(Math.floor(r * 100));
        break;
      default:
        out[i] = Math.floor(r * 100);
    }
  }
  return Buffer.from(arr.buffer);
}

function rawFromValues(name: string, datatype: Datatype, values: unknown[], count: number): Buffer {
  if (values.length !== count) throw new Error(`input data for '${name}' has ${values.length} values; its shape needs ${count}`);
  if (datatype === 'BYTES') {
    return Buffer.concat(
      values.map((v) => {
        const s = Buffer.from(String(v));
        const len = Buffer.alloc(4);
        len.writeUInt32LE(s.length);
        return Buffer.concat([len, s]);
      }),
    );
  }
  const info = DATATYPE_INFO[datatype];
  const big = datatype === 'INT64' || datatype === 'UINT64';
  const half = datatype === 'FP16' ? fp32ToFp16Bits : datatype === 'BF16' ? fp32ToBf16Bits : null;
  const arr = new (info.array as new (n: number) => { buffer: ArrayBuffer })(count) as unknown as Array<number | bigint> & { buffer: ArrayBuffer };
  values.forEach((v, i) => {
    const n = Number(v);
    arr[i] = big ? BigInt(Math.trunc(n)) : half ? half(n) : datatype === 'BOOL' ? (v === true || n !== 0 ? 1 : 0) : n;
  });
  return Buffer.from(arr.buffer);
}

export async function buildInputs(
  tensors: TensorSpec[],
  batched: boolean,
  batchSize: number,
  overrides: Map<string, number[]>,
  dataFile: string | null,
): Promise<InputSpec[]> {
  const data = dataFile === null ? null : (JSON.parse(await fs.readFile(dataFile, 'utf8')) as Record<string, unknown[]>);
  return tensors.map((t) => {
    if (!isDatatype(t.datatype)) throw new Error(`input '${t.name}' has datatype ${t.datatype}, which inferd bench cannot generate`);
    const shape = resolveShape(t, batched, batchSize, overrides);
    const count = shape.reduce((a, b) => a * b, 1);
    let raw: Buffer[];
    if (data) {
      const values = data[t.name];
      if (!Array.isArray(values)) throw new Error(`input data file has no array for input '${t.name}'`);
      raw = [rawFromValues(t.name, t.datatype, values, count)];
    } else {
      raw = Array.from({ length: RANDOM_VARIANTS }, () => randomRaw(t.datatype as Datatype, count));
    }
    return { name: t.name, datatype: t.datatype, shape, raw };
  });
}

// Requests for the `simple` model (OUTPUT0 = INPUT0 + INPUT1, OUTPUT1 = INPUT0 - INPUT1, INT32 [b, 16]) in the
// shape each client wants, and a check of the answer's values, for load tests.

import { int32Bytes, int32Values } from './server';

export const simpleInputs = (seq: number): [number[], number[]] => [
  Array.from({ length: 16 }, (_, i) => seq * 3 + i),
  Array.from({ length: 16 }, (_, i) => i * 2 - seq),
];

/** ts-proto ModelInferRequest for `simple` (or an alias of it). */
export function simpleRequest(seq: number, modelName = 'simple', modelVersion = '', parameters: Record<string, unknown> = {}) {
  const [a, b] = simpleInputs(seq);
  return {
    modelName,
    modelVersion,
    id: String(seq),
    parameters,
    inputs: ['INPUT0', 'INPUT1'].map((name) => ({ name, datatype: 'INT32', shape: [1n, 16n], parameters: {} })),
    outputs: [],
    rawInputContents: [int32Bytes(a), int32Bytes(b)],
  };
}

/** The same request for a proto-loader client (snake_case fields, int64 as strings). */
export function simpleRequestSnake(seq: number, modelName = 'simple') {
  const [a, b] = simpleInputs(seq);
  return {
    model_name: modelName,
    model_version: '',
    id: String(seq),
    inputs: ['INPUT0', 'INPUT1'].map((name) => ({ name, datatype: 'INT32', shape: ['1', '16'] })),
    raw_input_contents: [int32Bytes(a), int32Bytes(b)],
  };
}

/** '' when a response to simpleRequest(seq) carries the right sums; else what is wrong. */
export function checkSimple(seq: number, response: unknown): string {
  const r = response as { rawOutputContents?: Uint8Array[]; raw_output_contents?: Uint8Array[] };
  const raw = r.rawOutputContents ?? r.raw_output_contents ?? [];
  const [a, b] = simpleInputs(seq);
  const want = a.map((x, i) => x + b[i]);
  const got = raw[0] ? int32Values(raw[0]) : [];
  return JSON.stringify(got) === JSON.stringify(want) ? '' : `OUTPUT0 ${JSON.stringify(got)} != ${JSON.stringify(want)}`;
}

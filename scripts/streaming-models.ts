// Owns: the decoupled (streaming) models built by scripts/build-models.ts.
//  - models/generator: a character-level recurrent generator. An ONNX RNN whose recurrence is a shift register of
//    the last GENERATOR_CONTEXT characters, and a ReLU readout whose weights are character n-gram log-probabilities
//    counted from the Gettysburg Address (public domain): fitted by counting, not by gradient descent. Greedy
//    decoding, one character per step; tokens are character codes (0 = end of sequence).
//  - test/fixtures/counter: NEXT = COUNT + 1 with a 64 KiB FILL output, for loop, stop and flow-control tests.

import { onnx } from 'onnx-proto';
import { DT, encodeModel, floatTensor, int64Tensor, model, node, valueInfo } from './onnx-builder';

/** Public domain (Abraham Lincoln, 1863; the Bliss copy). */
export const GETTYSBURG_ADDRESS = [
  'Four score and seven years ago our fathers brought forth on this continent, a new nation, conceived in Liberty, ' +
    'and dedicated to the proposition that all men are created equal.',
  'Now we are engaged in a great civil war, testing whether that nation, or any nation so conceived and so ' +
    'dedicated, can long endure.',
  'We are met on a great battle-field of that war.',
  'We have come to dedicate a portion of that field, as a final resting place for those who here gave their lives ' +
    'that that nation might live.',
  'It is altogether fitting and proper that we should do this.',
  'But, in a larger sense, we can not dedicate, we can not consecrate, we can not hallow, this ground.',
  'The brave men, living and dead, who struggled here, have consecrated it, far above our poor power to add or detract.',
  'The world will little note, nor long remember what we say here, but it can never forget what they did here.',
  'It is for us the living, rather, to be dedicated here to the unfinished work which they who fought here have ' +
    'thus far so nobly advanced.',
  'It is rather for us to be here dedicated to the great task remaining before us, that from these honored dead we ' +
    'take increased devotion to that cause for which they gave the last full measure of devotion, that we here ' +
    'highly resolve that these dead shall not have died in vain, that this nation, under God, shall have a new ' +
    'birth of freedom, and that government of the people, by the people, for the people, shall not perish from the ' +
    'earth.',
];

/** Characters of context the generator's hidden state holds. */
export const GENERATOR_CONTEXT = 4;
/** The end-of-sequence token (character code 0): the generator's stop value. */
export const EOS = 0;
/** Add-alpha smoothing of the counted n-gram probabilities. */
const SMOOTHING = 0.1;
/** Token codes the generator's embedding covers; larger codes are clipped to the last one (an unknown character). */
const CODE_RANGE = 128;

/** The generator's alphabet: EOS, then every character of the lower-cased text, sorted. */
export function generatorAlphabet(): number[] {
  const chars = new Set<number>();
  for (const s of GETTYSBURG_ADDRESS) for (const c of s.toLowerCase()) chars.add(c.charCodeAt(0));
  return [EOS, ...[...chars].sort((a, b) => a - b)];
}

/** The training stream: each lower-cased sentence followed by EOS, as alphabet indices. */
function trainingStream(alphabet: number[]): number[] {
  const index = new Map(alphabet.map((code, i) => [code, i]));
  const out: number[] = [];
  for (const s of GETTYSBURG_ADDRESS) {
    for (const c of s.toLowerCase()) out.push(index.get(c.charCodeAt(0))!);
    out.push(index.get(EOS)!);
  }
  return out;
}

interface NgramTables {
  /** Log-probabilities of the next index after the empty context (unigram). */
  base: Float64Array;
  /** Context (indices, oldest first) → [its log-probabilities, the log-probabilities of its suffix one shorter]. */
  contexts: Array<{ context: number[]; logp: Float64Array; parent: Float64Array }>;
}

function ngramTables(stream: number[], v: number): NgramTables {
  const counts = new Map<string, { context: number[]; next: Float64Array }>();
  const bump = (context: number[], next: number): void => {
    const key = context.join(',');
    let entry = counts.get(key);
    if (!entry) counts.set(key, (entry = { context, next: new Float64Array(v) }));
    entry.next[next]++;
  };
  for (let i = 0; i < stream.length; i++) {
    for (let k = 0; k <= GENERATOR_CONTEXT && k <= i; k++) bump(stream.slice(i - k, i), stream[i]);
  }
  const logp = (next: Float64Array): Float64Array => {
    const total = next.reduce((a, b) => a + b, 0);
    return next.map((c) => Math.log((c + SMOOTHING) / (total + SMOOTHING * v)));
  };
  const table = new Map([...counts].map(([key, e]) => [key, logp(e.next)]));
  const contexts = [...counts.values()]
    .filter((e) => e.context.length > 0)
    .sort((a, b) => a.context.length - b.context.length || a.context.join(',').localeCompare(b.context.join(',')))
    .map((e) => ({ context: e.context, logp: table.get(e.context.join(','))!, parent: table.get(e.context.slice(1).join(','))! }));
  return { base: table.get('')!, contexts };
}

const f32 = (values: ArrayLike<number>): Float32Array => Float32Array.from(values as ArrayLike<number>);

function stringsAttribute(name: string, values: string[]): onnx.IAttributeProto {
  return {
    name,
    type: onnx.AttributeProto.AttributeType.STRINGS,
    strings: values.map((s) => new TextEncoder().encode(s)),
  };
}

/**
 * TOKENS INT64 [batch, seq] (character codes) and HIDDEN FP32 [batch, H] → NEXT_TOKEN INT64 [batch, 1] (greedy
 * next code) and HIDDEN_OUT FP32 [batch, H]. H = GENERATOR_CONTEXT × alphabet size: one one-hot block per
 * remembered character, newest first. HIDDEN zeros = nothing seen yet.
 */
export function generatorModel(): Uint8Array {
  const alphabet = generatorAlphabet();
  const v = alphabet.length;
  const h = GENERATOR_CONTEXT * v;
  const { base, contexts } = ngramTables(trainingStream(alphabet), v);
  const units = contexts.length;

  // Embedding: code → one-hot of its alphabet index (upper case folds to lower case; unknown codes → zeros).
  const emb = new Float32Array(CODE_RANGE * v);
  alphabet.forEach((code, i) => {
    emb[code * v + i] = 1;
    const upper = String.fromCharCode(code).toUpperCase().charCodeAt(0);
    if (upper !== code && upper < CODE_RANGE) emb[upper * v + i] = 1;
  });
  // RNN: block 0 ← the new character; block j ← block j-1 (the oldest falls off). ReLU keeps 0/1 exact.
  const w = new Float32Array(h * v);
  const r = new Float32Array(h * h);
  for (let i = 0; i < v; i++) {
    w[i * v + i] = 1;
    for (let j = 1; j < GENERATOR_CONTEXT; j++) r[(j * v + i) * h + ((j - 1) * v + i)] = 1;
  }
  // Readout: one ReLU unit per seen context (1 iff the register ends with it); each adds its log-probabilities
  // minus its one-shorter suffix's, so the logits telescope to those of the longest matching context.
  const w1 = new Float32Array(h * units);
  const b1 = new Float32Array(units);
  const w2 = new Float32Array(units * v);
  contexts.forEach(({ context, logp, parent }, u) => {
    const k = context.length;
    for (let j = 0; j < k; j++) w1[(j * v + context[k - 1 - j]) * units + u] = 1;
    b1[u] = -(k - 1);
    for (let t = 0; t < v; t++) w2[u * v + t] = logp[t] - parent[t];
  });

  const nodes: onnx.INodeProto[] = [
    node('Clip', ['TOKENS', 'code_min', 'code_max'], ['codes'], 'clip_codes'),
    node('Gather', ['EMB', 'codes'], ['onehot'], 'embed', { axis: 0 }),
    node('Transpose', ['onehot'], ['seq_first'], 'seq_first', { perm: [1, 0, 2] }),
    node('Unsqueeze', ['HIDDEN', 'axis0'], ['h0'], 'h0'),
    {
      ...node('RNN', ['seq_first', 'W', 'R', 'B', '', 'h0'], ['', 'y_h'], 'rnn'),
      attribute: [stringsAttribute('activations', ['Relu']), { name: 'hidden_size', type: onnx.AttributeProto.AttributeType.INT, i: h }],
    },
    node('Squeeze', ['y_h', 'axis0'], ['HIDDEN_OUT'], 'hidden_out'),
    node('Gemm', ['HIDDEN_OUT', 'W1', 'B1'], ['pre_units'], 'match_contexts'),
    node('Relu', ['pre_units'], ['units'], 'units'),
    node('Gemm', ['units', 'W2', 'B2'], ['logits'], 'logits'),
    node('ArgMax', ['logits'], ['next_index'], 'greedy', { axis: 1, keepdims: 1 }),
    node('Gather', ['CODES', 'next_index'], ['NEXT_TOKEN'], 'next_code', { axis: 0 }),
  ];
  const initializers: onnx.ITensorProto[] = [
    int64Tensor('code_min', [], [0]),
    int64Tensor('code_max', [], [CODE_RANGE - 1]),
    int64Tensor('axis0', [1], [0]),
    floatTensor('EMB', [CODE_RANGE, v], emb),
    floatTensor('W', [1, h, v], w),
    floatTensor('R', [1, h, h], r),
    floatTensor('B', [1, 2 * h], new Float32Array(2 * h)),
    floatTensor('W1', [h, units], w1),
    floatTensor('B1', [units], b1),
    floatTensor('W2', [units, v], w2),
    floatTensor('B2', [v], f32(base)),
    int64Tensor('CODES', [v], alphabet),
  ];
  return encodeModel(
    model({
      name: 'generator',
      inputs: [valueInfo('TOKENS', DT.INT64, ['batch', 'seq']), valueInfo('HIDDEN', DT.FLOAT, ['batch', h])],
      outputs: [valueInfo('NEXT_TOKEN', DT.INT64, ['batch', 1]), valueInfo('HIDDEN_OUT', DT.FLOAT, ['batch', h])],
      nodes,
      initializers,
    }),
  );
}

const param = (key: string, value: string): string => `parameters { key: "${key}" value: { string_value: "${value}" } }\n`;

export function generatorConfig(): string {
  const h = GENERATOR_CONTEXT * generatorAlphabet().length;
  return (
    'name: "generator"\nplatform: "onnxruntime_onnx"\nmax_batch_size: 8\n' +
    'input [\n  { name: "TOKENS" data_type: TYPE_INT64 dims: [ -1 ] },\n' +
    `  { name: "HIDDEN" data_type: TYPE_FP32 dims: [ ${h} ] }\n]\n` +
    'output [\n  { name: "NEXT_TOKEN" data_type: TYPE_INT64 dims: [ 1 ] },\n' +
    `  { name: "HIDDEN_OUT" data_type: TYPE_FP32 dims: [ ${h} ] }\n]\n` +
    'model_transaction_policy { decoupled: true }\n' +
    'dynamic_batching { }\n' +
    param('loop.feedback', 'NEXT_TOKEN:TOKENS,HIDDEN_OUT:HIDDEN') +
    param('loop.stream_outputs', 'NEXT_TOKEN') +
    param('loop.max_steps_parameter', 'max_tokens') +
    param('loop.max_steps_default', '64') +
    param('loop.max_steps_limit', '4096') +
    param('loop.stop_output', 'NEXT_TOKEN') +
    param('loop.stop_value', String(EOS))
  );
}

/** Floats in the counter's FILL output (64 KiB per step, so a slow reader fills buffers quickly). */
export const COUNTER_FILL = 16384;

/** COUNT INT64 [batch, 1] → NEXT = COUNT + 1 INT64 [batch, 1], FILL FP32 [batch, COUNTER_FILL] = NEXT everywhere. */
export function counterModel(): Uint8Array {
  return encodeModel(
    model({
      name: 'counter',
      inputs: [valueInfo('COUNT', DT.INT64, ['batch', 1])],
      outputs: [valueInfo('NEXT', DT.INT64, ['batch', 1]), valueInfo('FILL', DT.FLOAT, ['batch', COUNTER_FILL])],
      nodes: [
        node('Add', ['COUNT', 'one'], ['NEXT'], 'increment'),
        node('Cast', ['NEXT'], ['next_f32'], 'to_float', { to: DT.FLOAT }),
        node('Expand', ['next_f32', 'fill_shape'], ['FILL'], 'fill'),
      ],
      initializers: [int64Tensor('one', [], [1]), int64Tensor('fill_shape', [2], [1, COUNTER_FILL])],
    }),
  );
}

export function counterConfig(): string {
  return (
    'name: "counter"\nmax_batch_size: 8\nmodel_transaction_policy { decoupled: true }\n' +
    param('loop.feedback', 'NEXT:COUNT') +
    param('loop.stream_outputs', 'NEXT') +
    param('loop.max_steps_parameter', 'max_tokens') +
    param('loop.max_steps_default', '10') +
    param('loop.max_steps_limit', '1000000') +
    param('loop.stop_output', 'NEXT') +
    param('loop.stop_value', '0')
  );
}

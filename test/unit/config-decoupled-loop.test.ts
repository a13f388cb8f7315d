// Unit tests for src/config/decoupled-loop.ts: the `loop.*` parameters of a decoupled model, parsed from a
// Triton-parseable config.pbtxt and checked against the model's inputs and outputs at auto-complete.

import { completeModelConfig, type OnnxSignature } from '../../src/config/autocomplete';
import { parsePartialModelConfig } from '../../src/config/model-config-parse';

/** A generator-like signature: TOKENS, STATE → NEXT, STATE_OUT, with a dynamic batch dim. */
const SIGNATURE: OnnxSignature = {
  inputs: [
    { name: 'TOKENS', type: 'int64', shape: ['batch', 'seq'] },
    { name: 'STATE', type: 'float32', shape: ['batch', 8] },
  ],
  outputs: [
    { name: 'NEXT', type: 'int64', shape: ['batch', 1] },
    { name: 'STATE_OUT', type: 'float32', shape: ['batch', 8] },
    { name: 'PROBS', type: 'float32', shape: ['batch', 5] },
  ],
};

const param = (k: string, v: string) => `parameters { key: "${k}" value: { string_value: "${v}" } }\n`;

function loopOf(text: string, decoupled = true) {
  const partial = parsePartialModelConfig(
    (decoupled ? 'model_transaction_policy { decoupled: true }\n' : '') + text,
    'config.pbtxt',
    () => undefined,
  );
  return completeModelConfig('gen', partial, SIGNATURE, { defaultMaxBatchSize: 4 }).loop;
}

function failure(text: string, decoupled = true): string {
  try {
    loopOf(text, decoupled);
  } catch (e) {
    return (e as Error).message;
  }
  throw new Error('config was accepted');
}

describe('decoupled loop parameters', () => {
  it('parses a full declaration into a typed loop', () => {
    expect(
      loopOf(
        param('loop.feedback', 'NEXT:TOKENS, STATE_OUT:STATE') +
          param('loop.stream_outputs', 'NEXT,PROBS') +
          param('loop.max_steps_parameter', 'max_new_tokens') +
          param('loop.max_steps_default', '16') +
          param('loop.max_steps_limit', '512') +
          param('loop.stop_output', 'NEXT') +
          param('loop.stop_value', '2'),
      ),
    ).toEqual({
      feedback: [
        { output: 'NEXT', input: 'TOKENS' },
        { output: 'STATE_OUT', input: 'STATE' },
      ],
      streamOutputs: ['NEXT', 'PROBS'],
      maxStepsParameter: 'max_new_tokens',
      maxStepsDefault: 16,
      maxStepsLimit: 512,
      stop: { output: 'NEXT', value: 2n },
      zeroInitInputs: ['STATE'],
    });
  });

  it('defaults: every output streams, max_tokens, 64 of at most 4096 steps, no stop value', () => {
    expect(loopOf(param('loop.feedback', 'NEXT:TOKENS'))).toEqual({
      feedback: [{ output: 'NEXT', input: 'TOKENS' }],
      streamOutputs: ['NEXT', 'STATE_OUT', 'PROBS'],
      maxStepsParameter: 'max_tokens',
      maxStepsDefault: 64,
      maxStepsLimit: 4096,
      stop: null,
      zeroInitInputs: [],
    });
  });

  it('a model that is not decoupled has no loop', () => {
    expect(loopOf('', false)).toBeNull();
  });

  it.each([
    ['', /decoupled: true \} needs parameter 'loop.feedback'/],
    [param('loop.feedback', 'NEXT'), /'NEXT' is not OUTPUT:INPUT/],
    [param('loop.feedback', 'NOPE:TOKENS'), /names output 'NOPE', which the model does not have \(outputs: 'NEXT', 'STATE_OUT', 'PROBS'\)/],
    [param('loop.feedback', 'NEXT:NOPE'), /names input 'NOPE', which the model does not have/],
    [param('loop.feedback', 'STATE_OUT:TOKENS'), /output 'STATE_OUT' is FP32 but input 'TOKENS' is INT64/],
    [param('loop.feedback', 'PROBS:STATE'), /output 'PROBS' dims \[5\] cannot feed input 'STATE' dims \[8\]/],
    [param('loop.feedback', 'NEXT:TOKENS,NEXT:TOKENS'), /feeds input 'TOKENS' twice/],
    [param('loop.feedback', 'NEXT:TOKENS') + param('loop.stream_outputs', 'LOGITS'), /'loop.stream_outputs' names output 'LOGITS'/],
    [param('loop.feedback', 'NEXT:TOKENS') + param('loop.max_steps_default', 'ten'), /'loop.max_steps_default' must be a positive integer, got 'ten'/],
    [param('loop.feedback', 'NEXT:TOKENS') + param('loop.max_steps_default', '100') + param('loop.max_steps_limit', '10'), /exceeds 'loop.max_steps_limit'/],
    [param('loop.feedback', 'NEXT:TOKENS') + param('loop.stop_output', 'NEXT'), /'loop.stop_output' and 'loop.stop_value' go together/],
    [param('loop.feedback', 'NEXT:TOKENS') + param('loop.stop_output', 'NEXT') + param('loop.stop_value', 'eos'), /'loop.stop_value' must be an integer for a INT64 stop output, got 'eos'/],
    [param('loop.feedback', 'NEXT:TOKENS') + param('loop.stop_output', 'PROBS') + param('loop.stop_value', 'x'), /must be a number for a FP32 stop output/],
    [param('loop.feedback', 'NEXT:TOKENS') + param('loop.steps', '3'), /unknown parameter 'loop.steps'/],
  ])('rejects %s', (text, message) => {
    expect(failure(text)).toMatch(message);
  });

  it('loop parameters on a model that is not decoupled are an error', () => {
    expect(failure(param('loop.feedback', 'NEXT:TOKENS'), false)).toMatch(
      /parameter 'loop.feedback' declares a decoupled loop: it needs model_transaction_policy \{ decoupled: true \}/,
    );
  });
});

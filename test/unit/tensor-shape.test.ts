// Tests for src/tensor/shape.ts: wire dims validation, bounded element counts, config shape checks, formatting.

import { InferError } from '../../src/errors';
import { MAX_ELEMENTS, checkInputShape, checkedElementCount, formatShape, toShape } from '../../src/tensor/shape';

const W = "model 'm' version 1";

function message(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(InferError);
    expect((e as InferError).code).toBe('INVALID_ARGUMENT');
    return (e as InferError).message;
  }
  throw new Error('expected an InferError');
}

test('formatShape', () => {
  expect(formatShape([])).toBe('[]');
  expect(formatShape([-1, 16])).toBe('[-1,16]');
  expect(formatShape([2n, 3n])).toBe('[2,3]');
});

test('toShape converts bigint dims and rejects bad ones', () => {
  expect(toShape(W, 'x', [2n, 0n, 5])).toEqual([2, 0, 5]);
  expect(toShape(W, 'x', [])).toEqual([]);
  expect(message(() => toShape(W, 'x', [1, -1]))).toBe(
    `${W}: tensor 'x' has invalid shape [1,-1]: dim 1 is -1, dims must be non-negative integers`,
  );
  expect(message(() => toShape(W, 'x', [BigInt(Number.MAX_SAFE_INTEGER) + 1n]))).toContain('dim 0 is 9007199254740992');
  expect(message(() => toShape(W, 'x', [NaN]))).toContain('dim 0 is NaN');
});

test('checkedElementCount', () => {
  expect(checkedElementCount(W, 'x', [])).toBe(1);
  expect(checkedElementCount(W, 'x', [2, 3, 4])).toBe(24);
  expect(checkedElementCount(W, 'x', [2 ** 40, 0])).toBe(0);
  expect(checkedElementCount(W, 'x', [2 ** 16, 2 ** 16])).toBe(MAX_ELEMENTS);
  expect(message(() => checkedElementCount(W, 'x', [2 ** 16, 2 ** 16, 2]))).toContain('too many elements');
  expect(message(() => checkedElementCount(W, 'x', [2 ** 40, 2 ** 40]))).toBe(
    `${W}: tensor 'x' shape [1099511627776,1099511627776] has too many elements (more than ${MAX_ELEMENTS})`,
  );
});

describe('checkInputShape', () => {
  test('batched: [batch, ...dims], -1 wildcard', () => {
    checkInputShape(W, 'x', [-1, 16], 8, [1, 3, 16]);
    checkInputShape(W, 'x', [-1, 16], 8, [8, 0, 16]);
    checkInputShape(W, 'x', [16], 8, [2, 16]);
  });

  test('not batched: dims are the full shape', () => {
    checkInputShape(W, 'x', [-1, 16], 0, [5, 16]);
    checkInputShape(W, 'x', [], 0, []);
  });

  test('messages', () => {
    expect(message(() => checkInputShape(W, 'x', [16], 8, [2, 15]))).toBe(
      `${W}: input 'x' shape: expected [-1,16] (batch ≤ 8), got [2,15]: dim 1 is 15, not 16`,
    );
    expect(message(() => checkInputShape(W, 'x', [16], 8, [9, 16]))).toBe(
      `${W}: input 'x' shape: expected [-1,16] (batch ≤ 8), got [9,16]: batch size 9 is over max_batch_size 8`,
    );
    expect(message(() => checkInputShape(W, 'x', [16], 8, [0, 16]))).toContain('batch size 0, must be at least 1');
    expect(message(() => checkInputShape(W, 'x', [16], 8, [16]))).toContain('got [16]: rank 1, not 2');
    expect(message(() => checkInputShape(W, 'x', [4, -1], 0, [4, 2, 1]))).toBe(
      `${W}: input 'x' shape: expected [4,-1], got [4,2,1]: rank 3, not 2`,
    );
    expect(message(() => checkInputShape(W, 'x', [4, -1], 0, [3, 2]))).toContain('dim 0 is 3, not 4');
  });
});

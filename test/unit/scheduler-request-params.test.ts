// Owns: reading Triton's `priority` and `timeout` request parameters (src/scheduler/request-params.ts).

import { InferError } from '../../src/errors';
import { schedulingParams } from '../../src/scheduler/request-params';

describe('schedulingParams', () => {
  it('defaults to the default level and no timeout', () => {
    expect(schedulingParams('m', {})).toEqual({ priority: 0, timeoutUs: 0 });
  });

  it('reads int64 (bigint) and number values', () => {
    expect(schedulingParams('m', { priority: 2n, timeout: 1500 })).toEqual({ priority: 2, timeoutUs: 1500 });
  });

  it.each([
    ['priority', -1],
    ['priority', 'high'],
    ['timeout', 1.5],
    ['timeout', true],
  ])('refuses %s = %p with INVALID_ARGUMENT naming the parameter', (key, value) => {
    let err: unknown;
    try {
      schedulingParams("model 'm' version 1", { [key]: value });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(InferError);
    expect((err as InferError).code).toBe('INVALID_ARGUMENT');
    expect((err as InferError).message).toBe(`model 'm' version 1: request parameter '${key}' must be a non-negative integer, got ${String(value)}`);
  });
});

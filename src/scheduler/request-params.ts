// Reads the scheduling parameters of an inference request, as Triton names them: `priority` (0 = the model's
// default level; 1 is the highest) and `timeout` (queue timeout in microseconds, honoured where the model's queue
// policy allows an override).

import { invalidArgument } from '../errors';

export interface SchedulingParams {
  priority: number;
  timeoutUs: number;
}

function nonNegativeInt(where: string, key: string, v: unknown): number {
  const n = typeof v === 'bigint' ? Number(v) : v;
  if (typeof n !== 'number' || !Number.isSafeInteger(n) || n < 0) {
    throw invalidArgument(`${where}: request parameter '${key}' must be a non-negative integer, got ${String(v)}`);
  }
  return n;
}

export function schedulingParams(where: string, params: Readonly<Record<string, unknown>>): SchedulingParams {
  return {
    priority: params.priority === undefined ? 0 : nonNegativeInt(where, 'priority', params.priority),
    timeoutUs: params.timeout === undefined ? 0 : nonNegativeInt(where, 'timeout', params.timeout),
  };
}

// Owns: callSignal (src/grpc/inference-service.ts): a call that ends after its deadline aborts with
// DEADLINE_EXCEEDED, one the client cancels before it aborts with CANCELLED.

import { EventEmitter } from 'node:events';
import { InferError } from '../../src/errors';
import { callSignal } from '../../src/grpc/inference-service';

function fakeCall(deadline: Date | number): EventEmitter & { getDeadline(): Date | number } {
  return Object.assign(new EventEmitter(), { getDeadline: () => deadline });
}

describe('callSignal', () => {
  it('aborts with DEADLINE_EXCEEDED when the call ends past its deadline', () => {
    const call = fakeCall(new Date(Date.now() - 5));
    const { signal } = callSignal(call);
    call.emit('cancelled');
    expect(signal.aborted).toBe(true);
    expect((signal.reason as InferError).code).toBe('DEADLINE_EXCEEDED');
  });

  it('does not abort once the handler has answered (grpc-js reports finished calls as cancelled too)', () => {
    const call = fakeCall(Infinity);
    const cancel = callSignal(call);
    cancel.answered = true;
    call.emit('cancelled');
    expect(cancel.signal.aborted).toBe(false);
  });

  it('aborts with CANCELLED when the client cancels before the deadline or without one', () => {
    for (const deadline of [Date.now() + 60_000, Infinity]) {
      const call = fakeCall(deadline);
      const { signal } = callSignal(call);
      expect(signal.aborted).toBe(false);
      call.emit('cancelled');
      expect((signal.reason as InferError).code).toBe('CANCELLED');
      expect((signal.reason as InferError).message).toBe('the client cancelled the request');
    }
  });
});

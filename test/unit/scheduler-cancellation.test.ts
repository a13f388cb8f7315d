// Owns: Cancellation (src/scheduler/cancellation.ts): aborts once with its reason, runs each listener once in
// order, forgets removed listeners, and never calls a listener added after the abort.

import { InferError } from '../../src/errors';
import { Cancellation } from '../../src/scheduler/cancellation';

describe('Cancellation', () => {
  it('aborts once: the first reason stays and each listener runs once, in order', () => {
    const c = new Cancellation();
    const heard: string[] = [];
    c.onAbort(() => heard.push('a'));
    c.onAbort(() => heard.push('b'));
    expect([c.aborted, c.reason]).toEqual([false, undefined]);
    const first = new InferError('DEADLINE_EXCEEDED', 'late');
    c.abort(first);
    c.abort(new InferError('CANCELLED', 'gone'));
    expect([c.aborted, c.reason]).toEqual([true, first]);
    expect(heard).toEqual(['a', 'b']);
  });

  it('forgets a removed listener and ignores listeners added after the abort', () => {
    const c = new Cancellation();
    const heard: string[] = [];
    const removed = (): void => void heard.push('removed');
    c.onAbort(removed);
    c.onAbort(() => heard.push('kept'));
    c.offAbort(removed);
    c.offAbort(() => undefined);
    c.abort();
    c.onAbort(() => heard.push('late'));
    expect(heard).toEqual(['kept']);
  });
});

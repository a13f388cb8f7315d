// Test helpers for ModelStreamInfer: open a bidi stream on either client kind, record what arrives, wait for a
// number of messages or for the stream's end (its final status), and poll a server-side condition.

import type * as grpc from '@grpc/grpc-js';

export interface StreamEnd {
  /** 'end' for a clean end (status OK), otherwise the error the call ended with. */
  how: 'end' | 'error';
  code: number;
}

export class StreamRecorder<Res> {
  readonly messages: Res[] = [];
  readonly ended: Promise<StreamEnd>;
  private waiters: Array<{ count: number; resolve: () => void }> = [];

  constructor(readonly call: grpc.ClientDuplexStream<unknown, Res>, read = true) {
    this.ended = new Promise((resolve) => {
      call.on('status', (s: grpc.StatusObject) => {
        if (s.code === 0) call.once('end', () => resolve({ how: 'end', code: 0 }));
      });
      call.on('error', (err: grpc.ServiceError) => resolve({ how: 'error', code: err.code }));
    });
    if (read) this.read();
  }

  /** Starts (or resumes) consuming messages. */
  read(): void {
    if (this.call.listenerCount('data') === 0) {
      this.call.on('data', (m: Res) => {
        this.messages.push(m);
        this.waiters = this.waiters.filter((w) => (this.messages.length >= w.count ? (w.resolve(), false) : true));
      });
    }
    this.call.resume();
  }

  /** Resolves once at least `count` messages arrived. */
  waitFor(count: number): Promise<void> {
    if (this.messages.length >= count) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push({ count, resolve }));
  }
}

export function openStream<Res>(client: grpc.Client, read = true): StreamRecorder<Res> {
  const call = (client as unknown as { modelStreamInfer(): grpc.ClientDuplexStream<unknown, Res> }).modelStreamInfer();
  return new StreamRecorder<Res>(call, read);
}

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Polls `check` every 10 ms until it is true (the jest timeout bounds the wait). */
export async function until(check: () => boolean): Promise<void> {
  while (!check()) await sleep(10);
}

/** Polls `read` until two reads `settleMs` apart agree; returns that value. */
export async function settled(read: () => number, settleMs = 200): Promise<number> {
  for (;;) {
    const before = read();
    await sleep(settleMs);
    if (read() === before) return before;
  }
}

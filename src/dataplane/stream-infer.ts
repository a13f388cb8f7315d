// One inference stream (ModelStreamInfer), protocol-neutral: many requests in flight at once, each answered as
// soon as it completes; a failed request answers with an error and the stream goes on. Flow control: when the
// transport's buffer is full the stream stops producing (decoupled loops wait before their next step, and no
// more requests are read) until the transport drains; at most `maxInFlight` requests run per stream. Half-close
// finishes what is in flight, then ends; cancellation aborts everything in flight and writes nothing more.

import type { DataPlane } from './dataplane';
import type { StreamCounters } from './stream-counters';
import { Cancellation, type InferRequest, type InferResponse } from './types';

/** Identifies the request an error answers (as much of it as the transport could read). */
export interface RequestHeader {
  id: string;
  modelName: string;
  modelVersion: string;
}

export type StreamMessage =
  | { kind: 'response'; request: InferRequest; response: InferResponse }
  | { kind: 'error'; request: RequestHeader; error: unknown };

/** What a transport provides to a stream (grpc/stream-infer.ts for gRPC). */
export interface StreamTransport {
  /**
   * Hands one message to the peer. Returns false when the transport's buffer is over its high-water mark: the
   * stream then stops producing until `InferStream.drained()`. `flushed` runs once the message left the buffer.
   */
  write(message: StreamMessage, flushed: () => void): boolean;
  /** Stop delivering requests (the peer's sends then meet HTTP/2 flow control) / deliver them again. */
  pauseRequests(): void;
  resumeRequests(): void;
  /** Ends the stream cleanly once everything written is delivered. */
  end(): void;
}

export interface StreamOptions {
  /** Requests running at once on one stream; beyond it, the stream stops reading requests. */
  maxInFlight: number;
}

export const DEFAULT_STREAM_OPTIONS: StreamOptions = { maxInFlight: 64 };

function messageBytes(message: StreamMessage): number {
  if (message.kind === 'error') return String(message.error).length;
  let n = 0;
  for (const t of message.response.outputs) {
    if (Array.isArray(t.data)) for (const b of t.data) n += 4 + b.byteLength;
    else n += t.data.byteLength;
  }
  return n;
}

export class InferStream {
  /** One cancellation per request in flight (a shared one would collect a listener per scheduler job). */
  private readonly running = new Set<Cancellation>();
  private cancelled = false;
  private readonly counters: StreamCounters;
  private inFlight = 0;
  private blocked = false;
  private inputPaused = false;
  private halfClosed = false;
  private finished = false;
  /** Bytes written and not flushed yet, per message, so a cancelled stream can give them back. */
  private readonly unflushed = new Set<{ bytes: number }>();
  private writableWaiters: Array<() => void> = [];

  constructor(
    private readonly dataplane: DataPlane,
    private readonly transport: StreamTransport,
    private readonly options: StreamOptions = DEFAULT_STREAM_OPTIONS,
  ) {
    this.counters = dataplane.streamCounters;
    this.counters.streamsOpened++;
    this.counters.streamsActive++;
  }

  /**
   * Starts one request; cancelling the stream aborts it. `settled` (telemetry) hears once when the request is done,
   * with its error if it failed.
   */
  request(req: InferRequest, settled: (error?: unknown) => void = () => undefined): void {
    if (this.finished || this.halfClosed) return settled();
    const abort = new Cancellation();
    this.running.add(abort);
    const request: InferRequest = { ...req, signal: abort };
    let failure: unknown;
    this.started();
    this.dataplane
      .inferStreamed(request, { send: (response) => this.send({ kind: 'response', request, response }) })
      .catch((error: unknown) => {
        failure = error;
        return this.fail(request, error);
      })
      .finally(() => {
        this.running.delete(abort);
        settled(failure);
        this.done();
      });
  }

  /** Answers a request the transport could not decode with an error; the stream goes on. */
  rejected(request: RequestHeader, error: unknown): void {
    if (this.finished || this.halfClosed) return;
    this.started();
    this.fail(request, error).finally(() => this.done());
  }

  /** The peer sent its last request: finish what is in flight, then end. */
  halfClose(): void {
    this.halfClosed = true;
    this.endIfIdle();
  }

  /** The peer cancelled or went away: drop in-flight work, write nothing more. */
  cancel(): void {
    if (this.finished) return;
    this.finish();
    this.cancelled = true;
    for (const abort of this.running) abort.abort();
    for (const m of this.unflushed) this.counters.flushed(m.bytes);
    this.unflushed.clear();
    this.wakeWriters();
  }

  /** The transport's buffer drained: produce again. */
  drained(): void {
    this.blocked = false;
    this.wakeWriters();
    this.updateInput();
  }

  private started(): void {
    this.inFlight++;
    this.updateInput();
  }

  private done(): void {
    this.inFlight--;
    this.updateInput();
    this.endIfIdle();
  }

  private fail(request: RequestHeader, error: unknown): Promise<void> {
    if (this.cancelled) return Promise.resolve();
    return this.send({ kind: 'error', request, error });
  }

  /** Writes one message; resolves at once, or once the transport drained if its buffer is full. */
  private send(message: StreamMessage): Promise<void> {
    if (this.finished) return Promise.resolve();
    const entry = { bytes: messageBytes(message) };
    this.unflushed.add(entry);
    this.counters.buffered(entry.bytes);
    const ok = this.transport.write(message, () => {
      if (this.unflushed.delete(entry)) this.counters.flushed(entry.bytes);
    });
    if (ok && !this.blocked) return Promise.resolve();
    if (!this.blocked) {
      this.blocked = true;
      this.counters.pauses++;
      this.updateInput();
    }
    return new Promise((resolve) => this.writableWaiters.push(resolve));
  }

  private wakeWriters(): void {
    const waiters = this.writableWaiters;
    this.writableWaiters = [];
    for (const w of waiters) w();
  }

  private updateInput(): void {
    if (this.finished) return;
    const pause = this.blocked || this.inFlight >= this.options.maxInFlight;
    if (pause && !this.inputPaused) this.transport.pauseRequests();
    if (!pause && this.inputPaused) this.transport.resumeRequests();
    this.inputPaused = pause;
  }

  private endIfIdle(): void {
    if (this.finished || !this.halfClosed || this.inFlight > 0) return;
    this.finish();
    this.transport.end();
  }

  private finish(): void {
    this.finished = true;
    this.counters.streamsActive--;
  }
}

// One model instance: a worker thread that owns one onnxruntime session. It computes one execution at a time and
// can hold the next one queued behind it (CHANNEL_SLOTS runs in flight), so a busy worker never waits for the main
// thread between runs. If the thread dies, every run in flight on it fails at once with a WorkerCrashError
// (UNAVAILABLE) (never hangs) and 'exit' is emitted so the owner can replace it.

import { EventEmitter } from 'node:events';
import * as path from 'node:path';
import { Worker } from 'node:worker_threads';
import { InferError } from '../errors';
import type { BatchInput } from '../tensor/batch';
import type { Tensor } from '../tensor/tensor';
import type { FromWorker, RunTimings, SessionSpec, SignatureEntry, ToWorker } from './messages';
import { WorkerCrashError } from './worker-crash-error';
import { CHANNEL_SLOTS, RESPONSE_BY_MESSAGE, RESPONSE_FAILED, SharedChannel } from './shared-channel';
import { outgoingInputs, packInputs, unpackOutputs } from './transfer';

const WORKER_ENTRY = path.join(__dirname, 'worker-entry.js');
const CLOSE_GRACE_MS = 2000;
/** Data bytes of each of an instance's shared slots; larger runs take the postMessage path. */
const CHANNEL_BYTES = 1024 * 1024;
/**
 * While channel runs are unanswered, the instance also looks for written answers this often, so an answer whose
 * Atomics.waitAsync report never comes still frees its request and instance within this time instead of leaving
 * them waiting for the next request's event-loop turn (at concurrency 1 there is none). bench/hop-echo-server.ts,
 * which awaits its worker the same way, once stalled for good after about 10^5 round trips: its worker idle,
 * its main thread idle in epoll, the answer written and its report never delivered.
 */
const ANSWER_WATCHDOG_MS = 20;

export interface Signature {
  inputs: SignatureEntry[];
  outputs: SignatureEntry[];
}

export interface RunResult {
  outputs: Tensor[];
  /**
   * process.hrtime.bigint() as numbers, shared by all threads. `sentNs`: when the run was handed to an idle
   * worker, or, for a run queued behind another, when the worker took it up.
   */
  timings: RunTimings & { sentNs: number; returnedNs: number };
}

interface Pending {
  resolve: (r: RunResult) => void;
  reject: (e: Error) => void;
  sentNs: number;
  /** Sent while another run was in flight on this instance. */
  queued: boolean;
}

const nowNs = (): number => Number(process.hrtime.bigint());

const runTimings = (p: Pending, t: RunTimings): RunResult['timings'] => ({
  receivedNs: t.receivedNs,
  inferStartNs: t.inferStartNs,
  inferEndNs: t.inferEndNs,
  sentNs: p.queued ? Math.max(p.sentNs, t.receivedNs) : p.sentNs,
  returnedNs: nowNs(),
});

export class ModelInstance extends EventEmitter {
  private readonly worker: Worker;
  private readonly channel = SharedChannel.create(CHANNEL_BYTES);
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;
  /** Number of the last run written to the channel. */
  private channelSeq = 0;
  /**
   * Channel runs whose answers have not been taken in: run number → run id. Run n's slot is free for run
   * n + CHANNEL_SLOTS once n has left this map (answers may be taken in out of order).
   */
  private readonly unanswered = new Map<number, number>();
  /** Looks for written answers while channel runs are unanswered (see ANSWER_WATCHDOG_MS). */
  private watchdog: NodeJS.Timeout | null = null;
  private exited = false;
  private closing = false;
  signature: Signature | null = null;
  provider = '';

  constructor(readonly spec: SessionSpec) {
    super();
    this.worker = new Worker(WORKER_ENTRY, {
      resourceLimits: spec.heapLimitMb > 0 ? { maxOldGenerationSizeMb: spec.heapLimitMb } : undefined,
    });
    this.worker.on('message', (msg: FromWorker) => this.onMessage(msg));
    this.worker.on('error', (err) => this.onExit(`worker thread failed: ${err.message}`));
    this.worker.on('exit', (code) => this.onExit(`worker thread exited with code ${code}`));
  }

  get label(): string {
    return this.spec.label;
  }

  get threadId(): number {
    return this.worker.threadId;
  }

  /** Runs in flight on this instance: computing or queued behind the one computing. */
  get inFlight(): number {
    return this.pending.size;
  }

  /** Runs this instance takes at once (one computing, the next waiting in its slot). */
  static readonly depth = CHANNEL_SLOTS;

  get alive(): boolean {
    return !this.exited;
  }

  /** Creates the session; resolves with the model's signature or rejects with the load failure. */
  load(): Promise<Signature> {
    return new Promise((resolve, reject) => {
      const onLoaded = (sig: Signature): void => {
        this.off('load-failed', onFailed);
        this.off('exit', onFailed);
        resolve(sig);
      };
      const onFailed = (reason: string): void => {
        this.off('loaded', onLoaded);
        this.off('load-failed', onFailed);
        this.off('exit', onFailed);
        reject(new Error(reason));
      };
      this.once('loaded', onLoaded);
      this.once('load-failed', onFailed);
      this.once('exit', onFailed);
      this.post({ kind: 'load', spec: this.spec, channel: this.channel.buffer });
    });
  }

  /**
   * Runs one execution: through a shared slot when one is free and the run fits, else by postMessage with the
   * packed inputs transferred. Each input's parts (a batch's requests) are joined as they are copied over.
   */
  run(inputs: readonly BatchInput[], outputs: readonly string[]): Promise<RunResult> {
    if (this.exited) return Promise.reject(new WorkerCrashError(`${this.label}: worker thread is gone`));
    const id = this.nextId++;
    const sentNs = nowNs();
    const queued = this.pending.size > 0;
    try {
      const outgoing = outgoingInputs(inputs);
      const seq = this.channelSeq + 1;
      if (!this.unanswered.has(seq - CHANNEL_SLOTS) && this.channel.sendRequest(seq, id, outgoing, outputs)) {
        this.channelSeq = seq;
        return new Promise((resolve, reject) => {
          this.pending.set(id, { resolve, reject, sentNs, queued });
          this.unanswered.set(seq, id);
          void this.channel.responded(seq).then(this.onResponded);
          this.watchdog ??= setInterval(this.watchAnswers, ANSWER_WATCHDOG_MS).unref();
        });
      }
      const packed = packInputs(outgoing);
      return new Promise((resolve, reject) => {
        this.pending.set(id, { resolve, reject, sentNs, queued });
        this.post({ kind: 'run', id, inputs: packed.tensors, outputs: [...outputs] }, packed.transfer);
      });
    } catch (err) {
      const reason = err instanceof Error ? err.message : String(err);
      return Promise.reject(err instanceof InferError ? new InferError(err.code, `${this.label}: ${reason}`) : err);
    }
  }

  /**
   * Takes in every answer the worker has written to the channel. Runs when `waitAsync` reports one, and may be
   * called earlier (the scheduler does at the end of each event-loop turn), so a finished run frees its instance
   * without waiting for that report.
   */
  collect(): void {
    const answeredUpTo = this.channel.answeredSeq();
    for (const [seq, id] of this.unanswered) {
      if (seq > answeredUpTo) break;
      this.onChannelResponse(id, seq);
      this.unanswered.delete(seq);
    }
  }

  private onChannelResponse(id: number, seq: number): void {
    let p: Pending | undefined;
    try {
      const response = this.channel.readResponse(seq);
      if (response.kind === RESPONSE_BY_MESSAGE) return; // the 'result' message settles it
      p = this.take(id);
      if (!p) return;
      if (response.kind === RESPONSE_FAILED || !response.timings) {
        p.reject(new InferError('INVALID_ARGUMENT', `${this.label}: onnxruntime failed to run: ${response.message}`));
        return;
      }
      p.resolve({ outputs: unpackOutputs(response.outputs), timings: runTimings(p, response.timings) });
    } catch (err) {
      (p ?? this.take(id))?.reject(err instanceof Error ? err : new Error(String(err)));
    }
  }

  /**
   * Stops the worker: asks it to release its session, and terminates it if it does not exit in time. Never
   * terminates a worker inside session.run: onnxruntime-node aborts the whole process when its thread is torn
   * down under a native call, so a run in flight is waited for.
   */
  async close(): Promise<void> {
    if (this.exited) return;
    this.closing = true;
    const exited = new Promise<void>((resolve) => this.worker.once('exit', () => resolve()));
    this.post({ kind: 'close' });
    const timer = setTimeout(() => {
      if (this.pending.size === 0) void this.worker.terminate();
    }, CLOSE_GRACE_MS);
    await exited;
    clearTimeout(timer);
  }

  private post(msg: ToWorker, transfer: ArrayBuffer[] = []): void {
    this.worker.postMessage(msg, transfer);
    this.channel.messagePosted();
  }

  private onMessage(msg: FromWorker): void {
    switch (msg.kind) {
      case 'loaded':
        this.signature = { inputs: msg.inputs, outputs: msg.outputs };
        this.provider = msg.provider;
        this.emit('loaded', this.signature);
        break;
      case 'load-failed':
        this.emit('load-failed', msg.message);
        break;
      case 'result': {
        const p = this.take(msg.id);
        if (!p) return;
        try {
          p.resolve({ outputs: unpackOutputs(msg.outputs), timings: runTimings(p, msg.timings) });
        } catch (err) {
          p.reject(err instanceof Error ? err : new Error(String(err)));
        }
        break;
      }
      case 'run-failed': {
        const p = this.take(msg.id);
        // onnxruntime refusing a request the data plane already validated is still the caller's input problem.
        p?.reject(new InferError('INVALID_ARGUMENT', `${this.label}: onnxruntime failed to run: ${msg.message}`));
        break;
      }
    }
  }

  /**
   * The channel's report on a run: a written answer is taken in. Made once per instance, not per run: under load V8
   * optimizes a closure made per run again and again (measured: several TurboFan compiles a second).
   */
  private readonly onResponded = (answered: boolean): void => {
    if (answered) this.collect();
  };

  private readonly watchAnswers = (): void => {
    this.collect();
    if (this.unanswered.size > 0 || !this.watchdog) return;
    clearInterval(this.watchdog);
    this.watchdog = null;
  };

  private take(id: number): Pending | undefined {
    const p = this.pending.get(id);
    this.pending.delete(id);
    return p;
  }

  private onExit(reason: string): void {
    if (this.exited) return;
    this.exited = true;
    this.channel.wake();
    this.unanswered.clear();
    if (this.watchdog) clearInterval(this.watchdog);
    this.watchdog = null;
    const failed = [...this.pending.values()];
    this.pending.clear();
    for (const p of failed) p.reject(new WorkerCrashError(`${this.label}: ${reason} while running the request`));
    this.emit('exit', this.closing ? 'closed' : reason);
  }
}

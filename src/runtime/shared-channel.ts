// The fast hand-off between the main thread and a model worker: one SharedArrayBuffer per instance (an instance
// runs one execution at a time, so one slot suffices) carrying a run's numeric tensors and a small JSON header,
// signalled with Atomics. The main thread awaits Atomics.waitAsync (its event loop never blocks); the idle worker
// blocks in Atomics.wait, which is what makes this faster than postMessage (bench/worker-handoff.ts: about 0.4× the
// round trip; a worker awaiting waitAsync is no faster than postMessage). The worker sleeps on a doorbell word that
// both a slot request and a posted message ring, and counts posted messages against the ones its event loop has
// taken in, so a message is never left waiting behind a sleeping worker. A run that does not fit (BYTES tensors, or
// more than the slot holds) takes the postMessage path instead; the control words say which.
//
// Layout: Int32 control words, then the header (UTF-8 JSON), then tensor data 8-byte aligned.

import type { NumericData } from '../tensor/tensor';
import type { RunTimings, WireTensor } from './messages';

/** Control word indexes. */
const REQUEST_ID = 0;
const RESPONSE_ID = 1;
const RESPONSE_KIND = 2;
const HEADER_BYTES = 3;
/** Bumped by every slot request and every posted message; the idle worker sleeps on it. */
const DOORBELL = 4;
/** Messages the main thread has posted to the worker. */
const POSTED = 5;
/** 1 while the worker is (about to be) blocked on the doorbell: only then does ringing it need a notify. */
const SLEEPING = 6;
const CONTROL_WORDS = 7;
const HEADER_AT = 64;
const HEADER_CAPACITY = 16 * 1024;
const DATA_AT = HEADER_AT + HEADER_CAPACITY;

/** How a response arrived: in the slot, as a postMessage 'result'/'run-failed', or as an error text in the slot. */
export const RESPONSE_IN_SLOT = 0;
export const RESPONSE_BY_MESSAGE = 1;
export const RESPONSE_FAILED = 2;

/** Atomics.waitAsync (Node ≥ 16; typed in lib ES2024, newer than this project's ES2022). */
type WaitAsync = (a: Int32Array, index: number, value: number) => { async: boolean; value: Promise<string> | string };
const waitAsync = (Atomics as unknown as { waitAsync: WaitAsync }).waitAsync;

interface TensorHeader {
  name: string;
  type: string;
  dims: number[];
  /** Byte offset from DATA_AT and element count. */
  at: number;
  length: number;
  /** Typed array constructor name, e.g. 'Float32Array'. */
  array: string;
}

interface RequestHeader {
  inputs: TensorHeader[];
  outputs: string[];
}

interface ResponseHeader {
  outputs?: TensorHeader[];
  timings?: RunTimings;
  message?: string;
}

const ARRAYS: Record<string, new (b: ArrayBufferLike, o: number, n: number) => NumericData> = {
  Uint8Array, Int8Array, Uint16Array, Int16Array, Uint32Array, Int32Array,
  BigUint64Array, BigInt64Array, Float32Array, Float64Array,
} as unknown as Record<string, new (b: ArrayBufferLike, o: number, n: number) => NumericData>;

const align8 = (n: number): number => (n + 7) & ~7;

export class SharedChannel {
  private readonly control: Int32Array;
  private readonly bytes: Uint8Array;
  private readonly headerView: Buffer;

  /** A new slot whose data area holds `dataCapacity` bytes. */
  static create(dataCapacity: number): SharedChannel {
    return new SharedChannel(new SharedArrayBuffer(DATA_AT + dataCapacity));
  }

  constructor(readonly buffer: SharedArrayBuffer) {
    this.control = new Int32Array(buffer, 0, CONTROL_WORDS);
    this.bytes = new Uint8Array(buffer);
    this.headerView = Buffer.from(buffer, HEADER_AT, HEADER_CAPACITY);
  }

  // ---------- main thread ----------

  /** Writes a run into the slot and wakes the worker; false (nothing written) when it does not fit. */
  sendRequest(id: number, inputs: readonly WireTensor[], outputs: readonly string[]): boolean {
    const tensors = this.writeTensors(inputs);
    if (!tensors) return false;
    if (!this.writeHeader({ inputs: tensors, outputs: [...outputs] } satisfies RequestHeader)) return false;
    Atomics.store(this.control, REQUEST_ID, id);
    this.ring();
    return true;
  }

  /** Resolves once the worker has answered run `id` (or `wake()` was called). */
  async responded(id: number): Promise<boolean> {
    for (;;) {
      const current = Atomics.load(this.control, RESPONSE_ID);
      if (current === id) return true;
      const r = waitAsync(this.control, RESPONSE_ID, current);
      if (r.async) {
        if ((await r.value) === 'ok' && Atomics.load(this.control, RESPONSE_ID) !== id) return false;
      }
    }
  }

  /** Releases a main-thread waiter (the worker is gone). */
  wake(): void {
    Atomics.notify(this.control, RESPONSE_ID);
  }

  /** Reads the answer to the last run: its kind and, in the slot, outputs (copied out) or the failure text. */
  readResponse(): { kind: number; outputs: WireTensor[]; timings: RunTimings | null; message: string } {
    const kind = Atomics.load(this.control, RESPONSE_KIND);
    if (kind === RESPONSE_BY_MESSAGE) return { kind, outputs: [], timings: null, message: '' };
    const header = this.readHeader() as ResponseHeader;
    return {
      kind,
      outputs: (header.outputs ?? []).map((t) => this.readTensor(t)),
      timings: header.timings ?? null,
      message: header.message ?? '',
    };
  }

  /** Counts a message just posted to the worker and wakes it, so its event loop takes the message in. */
  messagePosted(): void {
    Atomics.add(this.control, POSTED, 1);
    this.ring();
  }

  /**
   * Rings the doorbell; wakes the worker only if it sleeps. A notify is a futex wake of another thread, the
   * dearest step of a hand-off; a worker still awake from its last run sees the new bell value without one. (The
   * worker raises SLEEPING before it checks the bell and blocks, and we read SLEEPING after bumping the bell:
   * with sequentially consistent atomics one of the two sides always sees the other's write.)
   */
  private ring(): void {
    Atomics.add(this.control, DOORBELL, 1);
    if (Atomics.load(this.control, SLEEPING) === 1) Atomics.notify(this.control, DOORBELL);
  }

  // ---------- worker thread ----------

  /** The doorbell's current value: read it before checking for work, then sleep on it with waitBell. */
  bell(): number {
    return Atomics.load(this.control, DOORBELL);
  }

  /** Blocks this thread until the doorbell rings after `bell` (returns at once if it already has) or `timeoutMs`. */
  waitBell(bell: number, timeoutMs: number): void {
    Atomics.store(this.control, SLEEPING, 1);
    Atomics.wait(this.control, DOORBELL, bell, timeoutMs);
    Atomics.store(this.control, SLEEPING, 0);
  }

  /** Id of the latest run written into the slot. */
  requestId(): number {
    return Atomics.load(this.control, REQUEST_ID);
  }

  /** Messages posted to this worker so far. */
  posted(): number {
    return Atomics.load(this.control, POSTED);
  }

  /** The request in the slot, its tensors copied out (onnxruntime gets buffers of its own, never the shared one). */
  readRequest(): { inputs: WireTensor[]; outputs: string[] } {
    const header = this.readHeader() as RequestHeader;
    return { inputs: header.inputs.map((t) => this.readTensor(t)), outputs: header.outputs };
  }

  /** Answers run `id` in the slot; false (nothing written) when the outputs do not fit. */
  sendResult(id: number, outputs: readonly WireTensor[], timings: RunTimings): boolean {
    const tensors = this.writeTensors(outputs);
    if (!tensors || !this.writeHeader({ outputs: tensors, timings } satisfies ResponseHeader)) return false;
    this.respond(id, RESPONSE_IN_SLOT);
    return true;
  }

  sendFailure(id: number, message: string): void {
    if (!this.writeHeader({ message } satisfies ResponseHeader)) this.writeHeader({ message: message.slice(0, 1000) });
    this.respond(id, RESPONSE_FAILED);
  }

  /** Says that run `id` was answered by postMessage. */
  sentByMessage(id: number): void {
    this.respond(id, RESPONSE_BY_MESSAGE);
  }

  // ---------- both ----------

  private respond(id: number, kind: number): void {
    Atomics.store(this.control, RESPONSE_KIND, kind);
    Atomics.store(this.control, RESPONSE_ID, id);
    Atomics.notify(this.control, RESPONSE_ID);
  }

  private writeTensors(list: readonly WireTensor[]): TensorHeader[] | null {
    let at = 0;
    const out: TensorHeader[] = [];
    for (const t of list) {
      if (Array.isArray(t.data) || !(t.data.constructor.name in ARRAYS)) return null;
      const d = t.data;
      at = align8(at);
      if (DATA_AT + at + d.byteLength > this.bytes.byteLength) return null;
      out.push({ name: t.name, type: t.type, dims: t.dims, at, length: d.length, array: d.constructor.name });
      at += d.byteLength;
    }
    out.forEach((h, i) => {
      const d = list[i].data as NumericData;
      this.bytes.set(new Uint8Array(d.buffer, d.byteOffset, d.byteLength), DATA_AT + h.at);
    });
    return out;
  }

  private readTensor(h: TensorHeader): WireTensor {
    const Ctor = ARRAYS[h.array];
    return { name: h.name, type: h.type, dims: h.dims, data: new Ctor(this.buffer, DATA_AT + h.at, h.length).slice() };
  }

  private writeHeader(header: RequestHeader | ResponseHeader): boolean {
    const text = JSON.stringify(header);
    if (Buffer.byteLength(text) > HEADER_CAPACITY) return false;
    this.control[HEADER_BYTES] = this.headerView.write(text, 0, 'utf8');
    return true;
  }

  private readHeader(): unknown {
    return JSON.parse(this.headerView.toString('utf8', 0, this.control[HEADER_BYTES]));
  }
}

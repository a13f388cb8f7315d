// The fast hand-off between the main thread and a model worker: one SharedArrayBuffer per instance with two slots,
// each carrying one run's numeric tensors and a small JSON header, signalled with Atomics. Two slots let the main
// thread queue the next run while the worker computes the current one, so a busy worker goes from run to run
// without waiting for the main thread (runs are numbered 1, 2, 3… and run n uses slot n % 2; the main thread
// reuses a slot only after it has read that slot's answer). The main thread awaits Atomics.waitAsync (its event
// loop never blocks); the idle worker blocks in Atomics.wait, which is what makes this faster than postMessage
// (bench/worker-handoff.ts: about 0.4× the round trip; a worker awaiting waitAsync is no faster than postMessage).
// The worker sleeps on a doorbell word that both a slot request and a posted message ring, and counts posted
// messages against the ones its event loop has taken in, so a message is never left waiting behind a sleeping
// worker. A run that does not fit (BYTES tensors, or more than a slot holds) takes the postMessage path instead;
// the slot's response kind says when an answer went that way.
//
// Layout: Int32 control words, then per slot the header (UTF-8 JSON) and tensor data 8-byte aligned.

import type { NumericData } from '../tensor/tensor';
import type { RunTimings, WireTensor } from './messages';

/** Runs a channel holds at once: the one the worker computes and the next one. */
export const CHANNEL_SLOTS = 2;

/** Control word indexes. */
/** The latest run number the main thread has written. */
const REQUEST_SEQ = 0;
/** The latest run number the worker has answered. */
const RESPONSE_SEQ = 1;
/** Bumped by every slot request and every posted message; the idle worker sleeps on it. */
const DOORBELL = 2;
/** Messages the main thread has posted to the worker. */
const POSTED = 3;
/** 1 while the worker is (about to be) blocked on the doorbell: only then does ringing it need a notify. */
const SLEEPING = 4;
/** Per slot: header bytes, and how the answer came (RESPONSE_*). */
const HEADER_BYTES = 8;
const RESPONSE_KIND = HEADER_BYTES + CHANNEL_SLOTS;
const CONTROL_WORDS = RESPONSE_KIND + CHANNEL_SLOTS;
const SLOTS_AT = 64;
const HEADER_CAPACITY = 16 * 1024;

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
  /** Byte offset from the slot's data area and element count. */
  at: number;
  length: number;
  /** Typed array constructor name, e.g. 'Float32Array'. */
  array: string;
}

interface RequestHeader {
  /** The instance's id of the run (answers that go by postMessage carry it). */
  id: number;
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

/** One slot: its region of the shared buffer and its two control words. */
class Slot {
  readonly headerView: Buffer;
  readonly dataAt: number;
  /** Control words: the byte length of the slot's header, and how its answer came (RESPONSE_*). */
  readonly headerBytesWord: number;
  readonly kindWord: number;

  constructor(buffer: SharedArrayBuffer, index: number, at: number, readonly dataCapacity: number) {
    this.headerView = Buffer.from(buffer, at, HEADER_CAPACITY);
    this.dataAt = at + HEADER_CAPACITY;
    this.headerBytesWord = HEADER_BYTES + index;
    this.kindWord = RESPONSE_KIND + index;
  }
}

export class SharedChannel {
  private readonly control: Int32Array;
  private readonly bytes: Uint8Array;
  private readonly slots: Slot[];
  /** Main thread: wake() was called. */
  private gone = false;

  /** A new channel whose slots each hold `dataCapacity` bytes of tensor data. */
  static create(dataCapacity: number): SharedChannel {
    return new SharedChannel(new SharedArrayBuffer(SLOTS_AT + CHANNEL_SLOTS * (HEADER_CAPACITY + align8(dataCapacity))));
  }

  constructor(readonly buffer: SharedArrayBuffer) {
    this.control = new Int32Array(buffer, 0, CONTROL_WORDS);
    this.bytes = new Uint8Array(buffer);
    const slotBytes = (buffer.byteLength - SLOTS_AT) / CHANNEL_SLOTS;
    this.slots = Array.from({ length: CHANNEL_SLOTS }, (_, i) => new Slot(buffer, i, SLOTS_AT + i * slotBytes, slotBytes - HEADER_CAPACITY));
  }

  // ---------- main thread ----------

  /**
   * Writes run `seq` (the instance's run `id`) into its slot and wakes the worker; false (nothing written) when it
   * does not fit. The caller numbers runs 1, 2, 3… and writes run n only after it has read the answer to run
   * n - CHANNEL_SLOTS.
   */
  sendRequest(seq: number, id: number, inputs: readonly WireTensor[], outputs: readonly string[]): boolean {
    const slot = this.slotOf(seq);
    const tensors = this.writeTensors(slot, inputs);
    if (!tensors) return false;
    if (!this.writeHeader(slot, { id, inputs: tensors, outputs: [...outputs] } satisfies RequestHeader)) return false;
    Atomics.store(this.control, REQUEST_SEQ, seq);
    this.ring();
    return true;
  }

  /** Resolves true once the worker has answered run `seq`, false if `wake()` is called first. */
  async responded(seq: number): Promise<boolean> {
    for (;;) {
      if (this.gone) return false;
      const current = Atomics.load(this.control, RESPONSE_SEQ);
      if (current >= seq) return true;
      const r = waitAsync(this.control, RESPONSE_SEQ, current);
      if (r.async) await r.value;
    }
  }

  /** Number of the latest run the worker has answered. */
  answeredSeq(): number {
    return Atomics.load(this.control, RESPONSE_SEQ);
  }

  /** Releases every main-thread waiter without an answer (the worker is gone). */
  wake(): void {
    this.gone = true;
    Atomics.notify(this.control, RESPONSE_SEQ);
  }

  /** Reads the answer to run `seq`: its kind and, in the slot, outputs (copied out) or the failure text. */
  readResponse(seq: number): { kind: number; outputs: WireTensor[]; timings: RunTimings | null; message: string } {
    const slot = this.slotOf(seq);
    const kind = Atomics.load(this.control, slot.kindWord);
    if (kind === RESPONSE_BY_MESSAGE) return { kind, outputs: [], timings: null, message: '' };
    const header = this.readHeader(slot) as ResponseHeader;
    return {
      kind,
      outputs: (header.outputs ?? []).map((t) => this.readTensor(slot, t)),
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
   * dearest step of a hand-off; a worker still busy with its last run sees the new bell value without one. (The
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

  /** Number of the latest run written (runs up to it are waiting in order, from the one after the last answered). */
  requestSeq(): number {
    return Atomics.load(this.control, REQUEST_SEQ);
  }

  /** Messages posted to this worker so far. */
  posted(): number {
    return Atomics.load(this.control, POSTED);
  }

  /** Run `seq`, its tensors copied out (onnxruntime gets buffers of its own, never the shared one). */
  readRequest(seq: number): { id: number; inputs: WireTensor[]; outputs: string[] } {
    const slot = this.slotOf(seq);
    const header = this.readHeader(slot) as RequestHeader;
    return { id: header.id, inputs: header.inputs.map((t) => this.readTensor(slot, t)), outputs: header.outputs };
  }

  /** Answers run `seq` in its slot; false (nothing written) when the outputs do not fit. */
  sendResult(seq: number, outputs: readonly WireTensor[], timings: RunTimings): boolean {
    const slot = this.slotOf(seq);
    const tensors = this.writeTensors(slot, outputs);
    if (!tensors || !this.writeHeader(slot, { outputs: tensors, timings } satisfies ResponseHeader)) return false;
    this.respond(seq, RESPONSE_IN_SLOT);
    return true;
  }

  sendFailure(seq: number, message: string): void {
    const slot = this.slotOf(seq);
    if (!this.writeHeader(slot, { message } satisfies ResponseHeader)) this.writeHeader(slot, { message: message.slice(0, 1000) });
    this.respond(seq, RESPONSE_FAILED);
  }

  /** Says that run `seq` was answered by postMessage. */
  sentByMessage(seq: number): void {
    this.respond(seq, RESPONSE_BY_MESSAGE);
  }

  // ---------- both ----------

  private slotOf(seq: number): Slot {
    return this.slots[seq % CHANNEL_SLOTS];
  }

  private respond(seq: number, kind: number): void {
    Atomics.store(this.control, this.slotOf(seq).kindWord, kind);
    Atomics.store(this.control, RESPONSE_SEQ, seq);
    Atomics.notify(this.control, RESPONSE_SEQ);
  }

  private writeTensors(slot: Slot, list: readonly WireTensor[]): TensorHeader[] | null {
    let at = 0;
    const out: TensorHeader[] = [];
    for (const t of list) {
      if (Array.isArray(t.data) || !(t.data.constructor.name in ARRAYS)) return null;
      const d = t.data;
      at = align8(at);
      if (at + d.byteLength > slot.dataCapacity) return null;
      out.push({ name: t.name, type: t.type, dims: t.dims, at, length: d.length, array: d.constructor.name });
      at += d.byteLength;
    }
    out.forEach((h, i) => {
      const d = list[i].data as NumericData;
      this.bytes.set(new Uint8Array(d.buffer, d.byteOffset, d.byteLength), slot.dataAt + h.at);
    });
    return out;
  }

  private readTensor(slot: Slot, h: TensorHeader): WireTensor {
    const Ctor = ARRAYS[h.array];
    return { name: h.name, type: h.type, dims: h.dims, data: new Ctor(this.buffer, slot.dataAt + h.at, h.length).slice() };
  }

  private writeHeader(slot: Slot, header: RequestHeader | ResponseHeader): boolean {
    const text = JSON.stringify(header);
    if (Buffer.byteLength(text) > HEADER_CAPACITY) return false;
    this.control[slot.headerBytesWord] = slot.headerView.write(text, 0, 'utf8');
    return true;
  }

  private readHeader(slot: Slot): unknown {
    return JSON.parse(slot.headerView.toString('utf8', 0, this.control[slot.headerBytesWord]));
  }
}

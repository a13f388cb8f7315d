// The fast hand-off between the main thread and a model worker: one SharedArrayBuffer per instance with two slots,
// each carrying one run's numeric tensors and a small header, signalled with Atomics. Two slots let the main
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
// Layout: Int32 control words, then per slot its header and its tensor data (8-byte aligned). A header is numbers
// (Float64 words: ids, type codes, dims, offsets, timings) and the UTF-8 bytes of the names it lists, never JSON:
// JSON.stringify, JSON.parse and copying the parsed objects took 3-4 µs of the main thread's time per batch-1 request
// of the medium model and 15-18 µs per batch-8 one (V8 CPU profile, c32).

import type { NumericData } from '../tensor/tensor';
import type { RunTimings, WireTensor } from './messages';
import type { OutgoingInput } from './transfer';

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
/** Per slot: how the answer came (RESPONSE_*). */
const RESPONSE_KIND = 8;
const CONTROL_WORDS = RESPONSE_KIND + CHANNEL_SLOTS;
const SLOTS_AT = 64;
/** A slot's header: HEADER_WORDS Float64 numbers, then HEADER_TEXT_BYTES of names (or a failure's message). */
const HEADER_WORDS = 1024;
const HEADER_TEXT_BYTES = 8 * 1024;
const HEADER_CAPACITY = HEADER_WORDS * 8 + HEADER_TEXT_BYTES;

/** How a response arrived: in the slot, as a postMessage 'result'/'run-failed', or as an error text in the slot. */
export const RESPONSE_IN_SLOT = 0;
export const RESPONSE_BY_MESSAGE = 1;
export const RESPONSE_FAILED = 2;

/** Atomics.waitAsync (Node ≥ 16; typed in lib ES2024, newer than this project's ES2022). */
type WaitAsync = (a: Int32Array, index: number, value: number) => { async: boolean; value: Promise<string> | string };
const waitAsync = (Atomics as unknown as { waitAsync: WaitAsync }).waitAsync;

type ArrayCtor = new (b: ArrayBufferLike, o: number, n: number) => NumericData;

/** A numeric tensor as a slot carries it: its data the pieces written one after another (a batch's requests). */
interface SlotTensor {
  name: string;
  type: string;
  dims: readonly number[];
  pieces: readonly NumericData[];
}

/** The typed arrays a slot carries, by code (a header names them by index; both threads look them up by name). */
const ARRAYS = [
  Uint8Array, Int8Array, Uint16Array, Int16Array, Uint32Array, Int32Array,
  BigUint64Array, BigInt64Array, Float32Array, Float64Array,
] as unknown as ArrayCtor[];
const ARRAY_CODES = new Map(ARRAYS.map((c, i) => [c.name, i]));
/** onnxruntime's tensor type names, by code. */
const TYPES = ['float32', 'float64', 'float16', 'bfloat16', 'int8', 'uint8', 'int16', 'uint16', 'int32', 'uint32', 'int64', 'uint64', 'bool'];
const TYPE_CODES = new Map(TYPES.map((t, i) => [t, i]));

/** Header words: a request is [id, inputs, outputs, tensor…, output name length…], a response [outputs, receivedNs, inferStartNs, inferEndNs, message length, tensor…]. */
const REQUEST_WORDS = 3;
const RESPONSE_WORDS = 5;
/** A tensor's words: type code, array code, byte offset in the slot's data, element count, name length, rank, then its dims. */
const TENSOR_WORDS = 6;

const align8 = (n: number): number => (n + 7) & ~7;

/** One slot: its region of the shared buffer and its control word. */
class Slot {
  /** The header's numbers and the UTF-8 text after them. */
  readonly words: Float64Array;
  readonly text: Buffer;
  readonly dataAt: number;
  /** Control word: how the slot's answer came (RESPONSE_*). */
  readonly kindWord: number;

  constructor(buffer: SharedArrayBuffer, index: number, at: number, readonly dataCapacity: number) {
    this.words = new Float64Array(buffer, at, HEADER_WORDS);
    this.text = Buffer.from(buffer, at + HEADER_WORDS * 8, HEADER_TEXT_BYTES);
    this.dataAt = at + HEADER_CAPACITY;
    this.kindWord = RESPONSE_KIND + index;
  }
}

/** Writes names into a slot's header text, in order; `fits` turns false once one does not fit. */
class TextWriter {
  at = 0;
  fits = true;

  constructor(private readonly text: Buffer) {}

  /** Writes `s` and returns its byte length. */
  write(s: string): number {
    // A name of n UTF-16 units takes at most 3n bytes; only a name that might not fit is measured first.
    if (this.at + 3 * s.length > this.text.byteLength && this.at + Buffer.byteLength(s) > this.text.byteLength) {
      this.fits = false;
      return 0;
    }
    const n = this.text.write(s, this.at, 'utf8');
    this.at += n;
    return n;
  }
}

/** Reads names back from a slot's header text, in the order they were written. */
class TextReader {
  private at = 0;

  constructor(private readonly text: Buffer) {}

  read(bytes: number): string {
    const s = this.text.toString('utf8', this.at, this.at + bytes);
    this.at += bytes;
    return s;
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
  sendRequest(seq: number, id: number, inputs: readonly OutgoingInput[], outputs: readonly string[]): boolean {
    for (const t of inputs) if (t.strings) return false;
    const slot = this.slotOf(seq);
    const { words } = slot;
    const text = new TextWriter(slot.text);
    words[0] = id;
    words[1] = inputs.length;
    words[2] = outputs.length;
    let w = this.writeTensors(slot, inputs, REQUEST_WORDS, text);
    if (w < 0 || w + outputs.length > HEADER_WORDS) return false;
    for (const name of outputs) words[w++] = text.write(name);
    if (!text.fits) return false;
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
    const { words } = slot;
    const text = new TextReader(slot.text);
    const message = text.read(words[4]);
    if (kind === RESPONSE_FAILED) return { kind, outputs: [], timings: null, message };
    const outputs: WireTensor[] = [];
    this.readTensors(slot, words[0], RESPONSE_WORDS, text, outputs);
    return { kind, outputs, timings: { receivedNs: words[1], inferStartNs: words[2], inferEndNs: words[3] }, message };
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
    const { words } = slot;
    const text = new TextReader(slot.text);
    const inputs: WireTensor[] = [];
    let w = this.readTensors(slot, words[1], REQUEST_WORDS, text, inputs);
    const outputs: string[] = [];
    for (let i = 0; i < words[2]; i++) outputs.push(text.read(words[w++]));
    return { id: words[0], inputs, outputs };
  }

  /** Answers run `seq` in its slot; false (nothing written) when the outputs do not fit. */
  sendResult(seq: number, outputs: readonly WireTensor[], timings: RunTimings): boolean {
    const slot = this.slotOf(seq);
    const { words } = slot;
    const text = new TextWriter(slot.text);
    words[0] = outputs.length;
    words[1] = timings.receivedNs;
    words[2] = timings.inferStartNs;
    words[3] = timings.inferEndNs;
    words[4] = 0;
    const tensors: SlotTensor[] = [];
    for (const t of outputs) {
      if (Array.isArray(t.data)) return false;
      tensors.push({ name: t.name, type: t.type, dims: t.dims, pieces: [t.data] });
    }
    if (this.writeTensors(slot, tensors, RESPONSE_WORDS, text) < 0) return false;
    this.respond(seq, RESPONSE_IN_SLOT);
    return true;
  }

  sendFailure(seq: number, message: string): void {
    const slot = this.slotOf(seq);
    // Buffer.write stops at the last whole character that fits: a long message is cut, never refused.
    slot.words[0] = 0;
    slot.words[4] = slot.text.write(message, 0, 'utf8');
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

  /**
   * Copies `list` into the slot's data and describes it in its header from word `w` on; returns the word after the
   * last one written, or -1 when the tensors do not fit (string tensors never do: they go by postMessage).
   */
  private writeTensors(slot: Slot, list: readonly SlotTensor[], w: number, text: TextWriter): number {
    const { words } = slot;
    const first = w;
    let at = 0;
    for (const t of list) {
      const type = TYPE_CODES.get(t.type);
      const array = ARRAY_CODES.get(t.pieces[0].constructor.name);
      let bytes = 0;
      let length = 0;
      for (const p of t.pieces) {
        bytes += p.byteLength;
        length += p.length;
      }
      at = align8(at);
      if (type === undefined || array === undefined || at + bytes > slot.dataCapacity) return -1;
      if (w + TENSOR_WORDS + t.dims.length > HEADER_WORDS) return -1;
      words[w] = type;
      words[w + 1] = array;
      words[w + 2] = at;
      words[w + 3] = length;
      words[w + 4] = text.write(t.name);
      words[w + 5] = t.dims.length;
      w += TENSOR_WORDS;
      for (const dim of t.dims) words[w++] = dim;
      at += bytes;
    }
    if (!text.fits) return -1;
    // Data is copied only once the whole run is known to fit.
    for (let i = 0, h = first; i < list.length; i++) {
      let to = slot.dataAt + words[h + 2];
      for (const p of list[i].pieces) {
        this.bytes.set(new Uint8Array(p.buffer, p.byteOffset, p.byteLength), to);
        to += p.byteLength;
      }
      h += TENSOR_WORDS + words[h + 5];
    }
    return w;
  }

  /**
   * Reads `count` tensors described from word `w` on into `out`, their data copied out (onnxruntime gets buffers of
   * its own); returns the word after the last one read.
   */
  private readTensors(slot: Slot, count: number, w: number, text: TextReader, out: WireTensor[]): number {
    const { words } = slot;
    for (let i = 0; i < count; i++) {
      const Ctor = ARRAYS[words[w + 1]];
      const name = text.read(words[w + 4]);
      const rank = words[w + 5];
      const dims: number[] = [];
      for (let k = 0; k < rank; k++) dims.push(words[w + TENSOR_WORDS + k]);
      const data = new Ctor(this.buffer, slot.dataAt + words[w + 2], words[w + 3]).slice();
      out.push({ name, type: TYPES[words[w]], dims, data });
      w += TENSOR_WORDS + rank;
    }
    return w;
  }
}

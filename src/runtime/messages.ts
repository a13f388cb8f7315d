// The messages that cross between the main thread and a model worker thread. Numeric tensor data travels as a
// view into one packed ArrayBuffer per run, which is transferred (moved), never cloned or serialised to JSON.

import type { NumericData } from '../tensor/tensor';

/** Where and how a worker builds its onnxruntime session. */
export interface SessionSpec {
  modelPath: string;
  /** 'cpu', or 'cuda' with a device id. */
  device: { kind: 'cpu' } | { kind: 'cuda'; deviceId: number };
  /** Only when the model config asks for it: run on CPU when CUDA is not there. */
  allowCpuFallback: boolean;
  intraOpThreads: number;
  interOpThreads: number;
  /** Let onnxruntime's intra-op threads spin between runs (off by default: they steal the event loop's cores). */
  allowSpinning: boolean;
  /** Cap on the worker's JS heap (strings, metadata; tensor buffers live outside it); 0 = Node's default. */
  heapLimitMb: number;
  /** Label for error messages, e.g. "model 'simple' version 1 instance 0". */
  label: string;
}

/** One tensor as onnxruntime sees it: numeric data as a typed array, strings as string[]. */
export interface WireTensor {
  name: string;
  /** onnxruntime type name: 'float32', 'int32', 'string', 'bool', … */
  type: string;
  dims: number[];
  data: NumericData | string[];
}

export interface SignatureEntry {
  name: string;
  type: string;
  shape: Array<number | string>;
}

export type ToWorker =
  /** `channel`: the instance's SharedArrayBuffer hand-off slots (shared-channel.ts). */
  | { kind: 'load'; spec: SessionSpec; channel: SharedArrayBuffer }
  | { kind: 'run'; id: number; inputs: WireTensor[]; outputs: string[] }
  | { kind: 'close' };

/** Nanosecond timestamps (process.hrtime.bigint as number: one monotonic clock for all threads). */
export interface RunTimings {
  /** The worker picked the run up. */
  receivedNs: number;
  /** session.run started (inputs wrapped as ort tensors). */
  inferStartNs: number;
  /** session.run resolved. */
  inferEndNs: number;
}

export type FromWorker =
  | { kind: 'loaded'; inputs: SignatureEntry[]; outputs: SignatureEntry[]; provider: string }
  | { kind: 'load-failed'; message: string }
  | { kind: 'result'; id: number; outputs: WireTensor[]; timings: RunTimings }
  | { kind: 'run-failed'; id: number; message: string };

// Size limits on an inference request's inputs, checked before anything is queued: tensor count, rank, elements
// per tensor, total input bytes and the length of one BYTES element. Each limit has its own message naming the
// model, the tensor, the limit and the server flag that sets it. (The whole message's size is the transport's
// limit: --max-message-bytes.)

import { InferError } from '../errors';
import { DATATYPE_INFO } from '../tensor/datatypes';
import { inputLabel, requestWhere } from '../tensor/shape';
import type { InferRequest } from './types';

export interface InputLimits {
  /** Input tensors per request. */
  maxInputTensors: number;
  /** Dims per input tensor. */
  maxRank: number;
  /** Elements per input tensor. */
  maxTensorElements: number;
  /** Bytes of all input tensors together (BYTES: element bytes plus their 4-byte length prefixes). */
  maxInputBytes: number;
  /** Bytes of one BYTES element. */
  maxBytesElement: number;
}

export const DEFAULT_INPUT_LIMITS: InputLimits = {
  maxInputTensors: 64,
  maxRank: 16,
  maxTensorElements: 64 * 1024 * 1024,
  maxInputBytes: 256 * 1024 * 1024,
  maxBytesElement: 16 * 1024 * 1024,
};

const exceeded = (message: string): InferError => new InferError('INVALID_ARGUMENT', message);

/** Where a limit was crossed, for its message (built only then: the checks run on every request). */
const whereOf = (req: InferRequest): string => requestWhere(req.modelName, req.modelVersion);
const labelOf = (req: InferRequest, t: InferRequest['inputs'][number]): string =>
  inputLabel(whereOf(req), t.name, t.datatype, t.shape);

export function checkInputLimits(limits: InputLimits, req: InferRequest): void {
  if (req.inputs.length > limits.maxInputTensors) {
    throw exceeded(
      `${whereOf(req)}: request has ${req.inputs.length} input tensors, over the limit of ${limits.maxInputTensors} ` +
        '(--max-input-tensors)',
    );
  }
  let total = 0;
  for (const t of req.inputs) {
    if (t.shape.length > limits.maxRank) {
      throw exceeded(`${labelOf(req, t)} has rank ${t.shape.length}, over the limit of ${limits.maxRank} (--max-input-rank)`);
    }
    const elements = t.shape.reduce((a, b) => a * b, 1);
    if (elements > limits.maxTensorElements) {
      throw exceeded(
        `${labelOf(req, t)} has ${elements} elements, over the limit of ${limits.maxTensorElements} (--max-tensor-elements)`,
      );
    }
    if (Array.isArray(t.data)) {
      for (let i = 0; i < t.data.length; i++) {
        const n = t.data[i].byteLength;
        if (n > limits.maxBytesElement) {
          throw exceeded(
            `${labelOf(req, t)}: BYTES element ${i} is ${n} bytes, over the limit of ${limits.maxBytesElement} ` +
              '(--max-bytes-element)',
          );
        }
        total += 4 + n;
      }
    } else {
      total += elements * DATATYPE_INFO[t.datatype].byteSize;
    }
    if (total > limits.maxInputBytes) {
      throw exceeded(
        `${whereOf(req)}: input tensors up to '${t.name}' hold ${total} bytes, over the limit of ${limits.maxInputBytes} ` +
          '(--max-input-bytes)',
      );
    }
  }
}

// Size limits on an inference request's inputs, checked before anything is queued: tensor count, rank, elements
// per tensor, total input bytes and the length of one BYTES element. Each limit has its own message naming the
// model, the tensor, the limit and the server flag that sets it. (The whole message's size is the transport's
// limit: --max-message-bytes.)

import { InferError } from '../errors';
import { DATATYPE_INFO } from '../tensor/datatypes';
import { formatShape } from '../tensor/shape';
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

export function checkInputLimits(limits: InputLimits, req: InferRequest): void {
  const where = `model '${req.modelName}'${req.modelVersion ? ` version ${req.modelVersion}` : ''}`;
  if (req.inputs.length > limits.maxInputTensors) {
    throw exceeded(
      `${where}: request has ${req.inputs.length} input tensors, over the limit of ${limits.maxInputTensors} ` +
        '(--max-input-tensors)',
    );
  }
  let total = 0;
  for (const t of req.inputs) {
    const label = `${where}: input '${t.name}' (${t.datatype}, shape ${formatShape(t.shape)})`;
    if (t.shape.length > limits.maxRank) {
      throw exceeded(`${label} has rank ${t.shape.length}, over the limit of ${limits.maxRank} (--max-input-rank)`);
    }
    const elements = t.shape.reduce((a, b) => a * b, 1);
    if (elements > limits.maxTensorElements) {
      throw exceeded(
        `${label} has ${elements} elements, over the limit of ${limits.maxTensorElements} (--max-tensor-elements)`,
      );
    }
    if (Array.isArray(t.data)) {
      for (let i = 0; i < t.data.length; i++) {
        const n = t.data[i].byteLength;
        if (n > limits.maxBytesElement) {
          throw exceeded(
            `${label}: BYTES element ${i} is ${n} bytes, over the limit of ${limits.maxBytesElement} ` +
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
        `${where}: input tensors up to '${t.name}' hold ${total} bytes, over the limit of ${limits.maxInputBytes} ` +
          '(--max-input-bytes)',
      );
    }
  }
}

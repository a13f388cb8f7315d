// inferd's model configuration: the subset of Triton's `ModelConfig` (model_config.proto) that inferd
// understands, as plain TypeScript values. Parsed from config.pbtxt (pbtxt.ts, model-config-parse.ts) and
// completed from the ONNX model itself (autocomplete.ts).

import type { Datatype } from '../tensor/datatypes';
import type { DecoupledLoop } from './decoupled-loop';

export interface TensorConfig {
  name: string;
  datatype: Datatype;
  /** Dims without the batch dimension when maxBatchSize > 0; -1 marks a variable-size dim. */
  dims: number[];
  /** Triton `optional`: the input may be left out of a request. */
  optional: boolean;
}

export type InstanceKind = 'KIND_AUTO' | 'KIND_CPU' | 'KIND_GPU';

export interface InstanceGroup {
  name: string;
  kind: InstanceKind;
  count: number;
  /** GPU device ids for KIND_GPU (empty: all visible GPUs, i.e. device 0 here). */
  gpus: number[];
}

export type VersionPolicy =
  | { kind: 'latest'; numVersions: number }
  | { kind: 'all' }
  | { kind: 'specific'; versions: number[] };

export type TimeoutAction = 'REJECT' | 'DELAY';

export interface QueuePolicy {
  timeoutAction: TimeoutAction;
  defaultTimeoutMicroseconds: number;
  allowTimeoutOverride: boolean;
  /** 0: unbounded (Triton's default). */
  maxQueueSize: number;
}

export interface DynamicBatching {
  preferredBatchSize: number[];
  maxQueueDelayMicroseconds: number;
  preserveOrdering: boolean;
  priorityLevels: number;
  defaultPriorityLevel: number;
  defaultQueuePolicy: QueuePolicy;
  /** Keyed by priority level. */
  priorityQueuePolicy: Map<number, QueuePolicy>;
}

export interface ModelConfig {
  name: string;
  platform: string;
  backend: string;
  /** 0: the model does not batch; dims are the full shape. */
  maxBatchSize: number;
  input: TensorConfig[];
  output: TensorConfig[];
  versionPolicy: VersionPolicy;
  instanceGroup: InstanceGroup[];
  dynamicBatching: DynamicBatching | null;
  /** Triton `parameters { key: "k" value: { string_value: "v" } }`. */
  parameters: Record<string, string>;
  defaultModelFilename: string;
  /** Triton `model_transaction_policy { decoupled: true }`. */
  decoupled: boolean;
  /** The iterative loop of a decoupled model (`loop.*` parameters, decoupled-loop.ts); null otherwise. */
  loop: DecoupledLoop | null;
  /** Triton `response_cache { enable: true }`. */
  responseCache: boolean;
}

export const DEFAULT_QUEUE_POLICY: QueuePolicy = {
  timeoutAction: 'REJECT',
  defaultTimeoutMicroseconds: 0,
  allowTimeoutOverride: false,
  maxQueueSize: 0,
};

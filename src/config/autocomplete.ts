// Triton's auto-complete for ONNX models (strict model config off): merges what config.pbtxt gives
// (a PartialModelConfig, or none) with the ONNX model's signature into a fully filled ModelConfig, and
// checks that the two agree. Follows Triton's onnxruntime backend (AutoCompleteMaxBatch / ValidateInputs /
// ValidateOutputs) and Triton core's defaults.

import { DATATYPE_INFO, datatypeFromOrt, type Datatype } from '../tensor/datatypes';
import { resolveDecoupledLoop } from './decoupled-loop';
import {
  DEFAULT_QUEUE_POLICY,
  type DynamicBatching,
  type InstanceGroup,
  type ModelConfig,
  type QueuePolicy,
  type TensorConfig,
} from './model-config';
import type { PartialDynamicBatching, PartialModelConfig, PartialQueuePolicy, PartialTensorConfig } from './model-config-parse';

/** One model input or output as onnxruntime-node's `session.inputMetadata` / `outputMetadata` gives it. */
export interface OnnxTensorInfo {
  name: string;
  isTensor?: true;
  /** onnxruntime tensor type: 'float32', 'int32', 'string', 'bool', 'float16', … ('bfloat16' is rejected). */
  type: string;
  /** A string (symbolic dim) or -1 marks a dynamic dim. */
  shape: ReadonlyArray<number | string>;
}

/** A sequence or map input/output (onnxruntime-node gives only the name). Always rejected. */
export interface OnnxNonTensorInfo {
  name: string;
  isTensor: false;
}

export type OnnxValueInfo = OnnxTensorInfo | OnnxNonTensorInfo;

export interface OnnxSignature {
  inputs: ReadonlyArray<OnnxValueInfo>;
  outputs: ReadonlyArray<OnnxValueInfo>;
}

export interface AutoCompleteOptions {
  /** max_batch_size used when the config gives none and the model can batch (Triton's default: 4). */
  defaultMaxBatchSize: number;
}

interface ModelTensor {
  name: string;
  datatype: Datatype;
  /** Full shape, -1 for dynamic dims. */
  shape: number[];
}

type Io = 'input' | 'output';

const shapeText = (dims: readonly number[]): string => `[${dims.join(', ')}]`;

function modelTensor(info: OnnxValueInfo, io: Io): ModelTensor {
  if (info.isTensor === false) {
    throw new Error(`${io} '${info.name}' of the ONNX model is not a tensor (a sequence or map); inferd serves tensor inputs and outputs only`);
  }
  if (info.type === 'bfloat16') {
    throw new Error(`${io} '${info.name}' of the ONNX model is bfloat16 (TYPE_BF16): onnxruntime-node cannot feed bfloat16 tensors`);
  }
  const datatype = datatypeFromOrt(info.type);
  if (datatype === undefined) {
    throw new Error(`${io} '${info.name}' of the ONNX model has type '${info.type}', which inferd does not support`);
  }
  const shape = info.shape.map((d) => (typeof d === 'number' && d >= 0 ? d : -1));
  return { name: info.name, datatype, shape };
}

/** The first model tensor without a dynamic first dim (it keeps the model from batching), or null. */
function batchBlocker(tensors: ModelTensor[]): ModelTensor | null {
  return tensors.find((t) => t.shape.length === 0 || t.shape[0] !== -1) ?? null;
}

function resolveMaxBatchSize(
  partial: PartialModelConfig,
  model: { input: ModelTensor[]; output: ModelTensor[] },
  options: AutoCompleteOptions,
): number {
  const blocker = batchBlocker([...model.input, ...model.output]);
  const io: Io = blocker !== null && model.input.includes(blocker) ? 'input' : 'output';
  if (partial.maxBatchSize !== undefined) {
    if (partial.maxBatchSize > 0 && blocker !== null) {
      throw new Error(
        `max_batch_size is ${partial.maxBatchSize} but ${io} '${blocker.name}' of the ONNX model has shape ` +
          `${shapeText(blocker.shape)}: a batching model needs a dynamic first dim on every input and output ` +
          `(set max_batch_size: 0 to serve the full shape)`,
      );
    }
    return partial.maxBatchSize;
  }
  if (blocker !== null) return 0;
  // Dims given in the config at full model rank describe unbatched shapes: keep the model unbatched.
  const listed = [
    ...(partial.input ?? []).map((t) => [t, model.input] as const),
    ...(partial.output ?? []).map((t) => [t, model.output] as const),
  ];
  const fullRank = listed.some(([t, tensors]) => {
    const m = tensors.find((x) => x.name === t.name);
    return t.dims !== undefined && m !== undefined && t.dims.length === m.shape.length;
  });
  return fullRank ? 0 : Math.max(0, options.defaultMaxBatchSize);
}

function checkDims(io: Io, given: PartialTensorConfig, m: ModelTensor, dims: number[], maxBatchSize: number): void {
  const expected = maxBatchSize > 0 ? m.shape.slice(1) : m.shape;
  const mismatch = () =>
    new Error(
      `${io} '${given.name}': config.pbtxt dims ${shapeText(dims)} do not match the ONNX model's shape ` +
        `${shapeText(m.shape)}` +
        (maxBatchSize > 0 ? ` (max_batch_size ${maxBatchSize}: dims leave out the batch dim)` : '') +
        (io === 'output' ? '; output dims must equal the model\'s (-1 where it is dynamic)' : ''),
    );
  if (dims.length !== expected.length) throw mismatch();
  for (let i = 0; i < dims.length; i++) {
    // Triton: an input may pin a dim the model leaves dynamic; outputs compare exactly.
    const ok = expected[i] === dims[i] || (io === 'input' && expected[i] === -1);
    if (!ok) throw mismatch();
  }
}

function completeTensors(
  io: Io,
  given: PartialTensorConfig[] | undefined,
  model: ModelTensor[],
  maxBatchSize: number,
): TensorConfig[] {
  const out: TensorConfig[] = [];
  const seen = new Set<string>();
  for (const t of given ?? []) {
    if (seen.has(t.name)) throw new Error(`${io} '${t.name}' is listed twice in config.pbtxt`);
    seen.add(t.name);
    const m = model.find((x) => x.name === t.name);
    if (m === undefined) {
      const names = model.map((x) => `'${x.name}'`).join(', ');
      throw new Error(`${io} '${t.name}' in config.pbtxt is not an ${io} of the ONNX model (its ${io}s: ${names || 'none'})`);
    }
    if (t.datatype !== undefined && t.datatype !== m.datatype) {
      throw new Error(
        `${io} '${t.name}': config.pbtxt says ${DATATYPE_INFO[t.datatype].config}, the ONNX model has ${DATATYPE_INFO[m.datatype].config}`,
      );
    }
    const dims = t.dims ?? (maxBatchSize > 0 ? m.shape.slice(1) : m.shape);
    checkDims(io, t, m, dims, maxBatchSize);
    const optional = t.optional ?? false;
    if (optional && maxBatchSize > 0) {
      throw new Error(`input '${t.name}': optional inputs are not supported for models that batch (max_batch_size ${maxBatchSize})`);
    }
    out.push({ name: t.name, datatype: m.datatype, dims: [...dims], optional });
  }
  for (const m of model) {
    if (seen.has(m.name)) continue;
    out.push({ name: m.name, datatype: m.datatype, dims: maxBatchSize > 0 ? m.shape.slice(1) : [...m.shape], optional: false });
  }
  return out;
}

/** The instance groups a model runs with: config.pbtxt's, or one CPU instance named after the model. */
export function instanceGroups(modelName: string, partial: PartialModelConfig | null): InstanceGroup[] {
  const groups = partial?.instanceGroup ?? [];
  if (groups.length === 0) return [{ name: modelName, kind: 'KIND_CPU', count: 1, gpus: [] }];
  return groups.map((g, i) => {
    const name = g.name !== undefined && g.name !== '' ? g.name : `${modelName}_${i}`;
    const gpus = g.gpus ?? [];
    const kind = g.kind === undefined || g.kind === 'KIND_AUTO' ? (gpus.length > 0 ? 'KIND_GPU' : 'KIND_CPU') : g.kind;
    if (kind === 'KIND_CPU' && gpus.length > 0) {
      throw new Error(`instance_group '${name}' has kind KIND_CPU but lists gpus ${shapeText(gpus)}`);
    }
    return { name, kind, count: g.count ?? 1, gpus: [...gpus] };
  });
}

const queuePolicy = (p: PartialQueuePolicy = {}): QueuePolicy => ({
  timeoutAction: p.timeoutAction ?? DEFAULT_QUEUE_POLICY.timeoutAction,
  defaultTimeoutMicroseconds: p.defaultTimeoutMicroseconds ?? DEFAULT_QUEUE_POLICY.defaultTimeoutMicroseconds,
  allowTimeoutOverride: p.allowTimeoutOverride ?? DEFAULT_QUEUE_POLICY.allowTimeoutOverride,
  maxQueueSize: p.maxQueueSize ?? DEFAULT_QUEUE_POLICY.maxQueueSize,
});

function completeDynamicBatching(db: PartialDynamicBatching | undefined, maxBatchSize: number): DynamicBatching | null {
  if (db === undefined) return null;
  const preferredBatchSize = db.preferredBatchSize ?? [];
  for (const size of preferredBatchSize) {
    if (size > maxBatchSize) {
      throw new Error(`dynamic_batching: preferred_batch_size ${size} is larger than max_batch_size ${maxBatchSize}`);
    }
  }
  const priorityLevels = db.priorityLevels ?? 0;
  const defaultPriorityLevel = db.defaultPriorityLevel ?? 0;
  const priorityQueuePolicy = new Map<number, QueuePolicy>();
  for (const [level, policy] of db.priorityQueuePolicy ?? []) priorityQueuePolicy.set(level, queuePolicy(policy));
  if (priorityLevels > 0) {
    if (defaultPriorityLevel < 1 || defaultPriorityLevel > priorityLevels) {
      throw new Error(`dynamic_batching: default_priority_level ${defaultPriorityLevel} must be in [1, priority_levels ${priorityLevels}]`);
    }
  }
  for (const level of priorityQueuePolicy.keys()) {
    if (level < 1 || level > priorityLevels) {
      throw new Error(`dynamic_batching: priority_queue_policy key ${level} must be in [1, priority_levels ${priorityLevels}]`);
    }
  }
  return {
    preferredBatchSize: [...preferredBatchSize],
    maxQueueDelayMicroseconds: db.maxQueueDelayMicroseconds ?? 0,
    preserveOrdering: db.preserveOrdering ?? false,
    priorityLevels,
    defaultPriorityLevel,
    defaultQueuePolicy: queuePolicy(db.defaultQueuePolicy),
    priorityQueuePolicy,
  };
}

/**
 * Fills a model's configuration from its config.pbtxt (`partial`, null when there is none) and its ONNX
 * signature, as Triton does with strict model config off. Throws an Error naming the field or tensor
 * when the config contradicts the model or cannot be served.
 */
export function completeModelConfig(
  modelName: string,
  partial: PartialModelConfig | null,
  onnx: OnnxSignature,
  options: AutoCompleteOptions,
): ModelConfig {
  const p = partial ?? {};
  if (p.name !== undefined && p.name !== '' && p.name !== modelName) {
    throw new Error(`config.pbtxt names the model '${p.name}' but its directory is '${modelName}'; they must match`);
  }
  if (p.platform !== undefined && p.platform !== '' && p.platform !== 'onnxruntime_onnx') {
    throw new Error(`config.pbtxt platform '${p.platform}' is not supported: inferd serves only 'onnxruntime_onnx' models`);
  }
  if (p.backend !== undefined && p.backend !== '' && p.backend !== 'onnxruntime') {
    throw new Error(`config.pbtxt backend '${p.backend}' is not supported: inferd serves only the 'onnxruntime' backend`);
  }
  const model = {
    input: onnx.inputs.map((i) => modelTensor(i, 'input')),
    output: onnx.outputs.map((o) => modelTensor(o, 'output')),
  };
  const maxBatchSize = resolveMaxBatchSize(p, model, options);
  const input = completeTensors('input', p.input, model.input, maxBatchSize);
  const output = completeTensors('output', p.output, model.output, maxBatchSize);
  const parameters = { ...(p.parameters ?? {}) };
  const decoupled = p.decoupled ?? false;
  return {
    name: modelName,
    platform: 'onnxruntime_onnx',
    backend: 'onnxruntime',
    maxBatchSize,
    input,
    output,
    versionPolicy: p.versionPolicy ?? { kind: 'latest', numVersions: 1 },
    instanceGroup: instanceGroups(modelName, p),
    // As Triton's ONNX Runtime backend: a model whose max_batch_size is auto-completed above 1 and whose config
    // names no scheduler gets dynamic batching with its defaults.
    dynamicBatching: completeDynamicBatching(
      p.dynamicBatching ?? (p.maxBatchSize === undefined && maxBatchSize > 1 ? {} : undefined),
      maxBatchSize,
    ),
    parameters,
    defaultModelFilename: p.defaultModelFilename !== undefined && p.defaultModelFilename !== '' ? p.defaultModelFilename : 'model.onnx',
    decoupled,
    loop: resolveDecoupledLoop(decoupled, parameters, input, output),
    responseCache: p.responseCache ?? false,
  };
}

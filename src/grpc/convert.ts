// The one place where generated OIP protobuf types meet the data plane's own types: request decoding (raw or
// typed tensor contents, parameters) and response, metadata, config, statistics and index encoding.

import type { ModelConfig, QueuePolicy, TensorConfig } from '../config/model-config';
import type { Cancellation, InferRequest, InferResponse, ModelMetadata, ParamValue, Params } from '../dataplane/types';
import { invalidArgument } from '../errors';
import type { IndexEntry } from '../repository/model-repository';
import { scrubHostPaths } from '../security/host-paths';
import type { Duration, ModelStats } from '../telemetry/model-stats';
import { DATATYPE_INFO } from '../tensor/datatypes';
import { decodeRaw, decodeTyped } from '../tensor/decode';
import { encodeRaw, encodeTyped } from '../tensor/encode';
import { requestWhere } from '../tensor/shape';
import type {
  InferParameter,
  ModelInferRequest,
  ModelInferResponse,
  ModelMetadataResponse,
  ModelStatistics,
  RepositoryIndexResponse_ModelIndex,
  StatisticDuration,
} from '../../generated/inference/grpc_service';
import {
  DataType,
  ModelInput_Format,
  ModelInstanceGroup_Kind,
  ModelQueuePolicy_TimeoutAction,
  type ModelConfig as ProtoModelConfig,
  type ModelQueuePolicy,
} from '../../generated/inference/model_config';

/** Request parameter that selects typed `contents` instead of raw_output_contents for every output. */
export const BINARY_DATA_OUTPUT = 'binary_data_output';

export function fromParameter(p: InferParameter | undefined): ParamValue | undefined {
  if (!p) return undefined;
  return p.boolParam ?? p.int64Param ?? p.stringParam ?? p.doubleParam ?? p.uint64Param;
}

function fromParameters(map: { [key: string]: InferParameter }): Params {
  const out: Params = {};
  for (const [k, v] of Object.entries(map)) {
    const value = fromParameter(v);
    if (value !== undefined) out[k] = value;
  }
  return out;
}

export function toParameter(v: ParamValue): InferParameter {
  switch (typeof v) {
    case 'boolean':
      return { boolParam: v };
    case 'bigint':
      return { int64Param: v };
    case 'string':
      return { stringParam: v };
    default:
      return Number.isInteger(v) ? { int64Param: BigInt(v) } : { doubleParam: v };
  }
}

function toParameters(params: Params): { [key: string]: InferParameter } {
  const out: { [key: string]: InferParameter } = {};
  for (const [k, v] of Object.entries(params)) out[k] = toParameter(v);
  return out;
}

export function toInferRequest(msg: ModelInferRequest, signal?: Cancellation): InferRequest {
  const where = requestWhere(msg.modelName, msg.modelVersion);
  const raw = msg.rawInputContents;
  let inputs;
  if (raw.length > 0) {
    const typed = msg.inputs.find((i) => i.contents !== undefined);
    if (typed) {
      throw invalidArgument(
        `${where}: input '${typed.name}' sets contents while the request uses raw_input_contents; ` +
          'a request carries all inputs raw or all typed, not both',
      );
    }
    if (raw.length !== msg.inputs.length) {
      throw invalidArgument(
        `${where}: raw_input_contents has ${raw.length} entries for ${msg.inputs.length} inputs; it needs one per input`,
      );
    }
    inputs = msg.inputs.map((input, k) => decodeRaw(input, raw[k], where));
  } else {
    inputs = msg.inputs.map((input) => decodeTyped(input, input.contents, where));
  }
  return {
    modelName: msg.modelName,
    modelVersion: msg.modelVersion,
    id: msg.id,
    parameters: fromParameters(msg.parameters),
    inputs,
    outputs: msg.outputs.map((o) => ({ name: o.name, parameters: fromParameters(o.parameters) })),
    signal,
  };
}

/** Raw output contents unless the request set `binary_data_output: false`. */
export function wantsTypedOutput(req: InferRequest): boolean {
  return req.parameters[BINARY_DATA_OUTPUT] === false;
}

export function toModelInferResponse(res: InferResponse, typed: boolean): ModelInferResponse {
  const outputs = res.outputs.map((t) => ({
    name: t.name,
    datatype: t.datatype,
    shape: t.shape.map((d) => BigInt(d)),
    parameters: {},
    contents: typed ? encodeTyped(t) : undefined,
  }));
  return {
    modelName: res.modelName,
    modelVersion: res.modelVersion,
    id: res.id,
    parameters: toParameters(res.parameters),
    outputs,
    rawOutputContents: typed ? [] : res.outputs.map((t) => encodeRaw(t)),
  };
}

export function toModelMetadataResponse(m: ModelMetadata): ModelMetadataResponse {
  const tensors = (list: ModelMetadata['inputs']) =>
    list.map((t) => ({ name: t.name, datatype: t.datatype, shape: t.shape.map((d) => BigInt(d)) }));
  return { name: m.name, versions: m.versions, platform: m.platform, inputs: tensors(m.inputs), outputs: tensors(m.outputs) };
}

const dataType = (t: TensorConfig): DataType => DataType[DATATYPE_INFO[t.datatype].config as keyof typeof DataType];

function queuePolicy(q: QueuePolicy): ModelQueuePolicy {
  return {
    timeoutAction: ModelQueuePolicy_TimeoutAction[q.timeoutAction],
    defaultTimeoutMicroseconds: BigInt(q.defaultTimeoutMicroseconds),
    allowTimeoutOverride: q.allowTimeoutOverride,
    maxQueueSize: q.maxQueueSize,
  };
}

export function toProtoModelConfig(c: ModelConfig): ProtoModelConfig {
  const policy = c.versionPolicy;
  const db = c.dynamicBatching;
  return {
    name: c.name,
    platform: c.platform,
    backend: c.backend,
    versionPolicy:
      policy.kind === 'latest'
        ? { latest: { numVersions: policy.numVersions } }
        : policy.kind === 'all'
          ? { all: {} }
          : { specific: { versions: policy.versions.map((v) => BigInt(v)) } },
    maxBatchSize: c.maxBatchSize,
    input: c.input.map((t) => ({
      name: t.name,
      dataType: dataType(t),
      format: ModelInput_Format.FORMAT_NONE,
      dims: t.dims.map((d) => BigInt(d)),
      optional: t.optional,
    })),
    output: c.output.map((t) => ({ name: t.name, dataType: dataType(t), dims: t.dims.map((d) => BigInt(d)) })),
    dynamicBatching: db
      ? {
          preferredBatchSize: db.preferredBatchSize,
          maxQueueDelayMicroseconds: BigInt(db.maxQueueDelayMicroseconds),
          preserveOrdering: db.preserveOrdering,
          priorityLevels: BigInt(db.priorityLevels),
          defaultPriorityLevel: BigInt(db.defaultPriorityLevel),
          defaultQueuePolicy: queuePolicy(db.defaultQueuePolicy),
          priorityQueuePolicy: new Map([...db.priorityQueuePolicy].map(([k, q]) => [BigInt(k), queuePolicy(q)])),
        }
      : undefined,
    instanceGroup: c.instanceGroup.map((g) => ({
      name: g.name,
      kind: ModelInstanceGroup_Kind[g.kind],
      count: g.count,
      gpus: g.gpus,
    })),
    defaultModelFilename: c.defaultModelFilename,
    parameters: Object.fromEntries(Object.entries(c.parameters).map(([k, v]) => [k, { stringValue: v }])),
    modelTransactionPolicy: { decoupled: c.decoupled },
    responseCache: { enable: c.responseCache },
  };
}

const duration = (d: Duration): StatisticDuration => ({ count: BigInt(d.count), ns: BigInt(d.ns) });

export function toModelStatistics(s: ModelStats): ModelStatistics {
  return {
    name: s.name,
    version: String(s.version),
    lastInference: BigInt(s.lastInferenceMs),
    inferenceCount: BigInt(s.inferenceCount),
    executionCount: BigInt(s.executionCount),
    inferenceStats: {
      success: duration(s.success),
      fail: duration(s.fail),
      queue: duration(s.queue),
      computeInput: duration(s.computeInput),
      computeInfer: duration(s.computeInfer),
      computeOutput: duration(s.computeOutput),
      cacheHit: duration(s.cacheHit),
      cacheMiss: duration(s.cacheMiss),
    },
    batchStats: [...s.batches.values()]
      .sort((a, b) => a.batchSize - b.batchSize)
      .map((b) => ({
        batchSize: BigInt(b.batchSize),
        computeInput: duration(b.computeInput),
        computeInfer: duration(b.computeInfer),
        computeOutput: duration(b.computeOutput),
      })),
    memoryUsage: [],
    responseStats: {},
  };
}

export function toModelIndex(e: IndexEntry): RepositoryIndexResponse_ModelIndex {
  return { name: e.name, version: e.version, state: e.state, reason: scrubHostPaths(e.reason) };
}

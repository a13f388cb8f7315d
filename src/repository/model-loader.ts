// Loads the served versions of one model: reads config.pbtxt, picks versions by version_policy, starts each
// version's instances on their devices, completes the config from the ONNX signature, and builds its scheduler.
// A version that fails is UNAVAILABLE with the reason; the others still load.

import * as os from 'node:os';
import { completeModelConfig, instanceGroups } from '../config/autocomplete';
import type { InstanceGroup } from '../config/model-config';
import { parsePartialModelConfig, type PartialModelConfig } from '../config/model-config-parse';
import type { SessionSpec } from '../runtime/messages';
import { InstancePool } from '../runtime/instance-pool';
import type { InflightBytes } from '../scheduler/inflight-bytes';
import { ModelScheduler } from '../scheduler/model-scheduler';
import type { Logger } from '../telemetry/logger';
import type { ModelDirectory } from './model-directory';
import { ModelVersion } from './model-version';
import { selectVersions } from './version-policy';

export interface LoaderOptions {
  /** max_batch_size given to a model without config.pbtxt whose inputs all have a dynamic first dim (Triton: 4). */
  defaultMaxBatchSize: number;
  /** onnxruntime intra-op threads per instance; 0 = share the cores among the model's instances. */
  intraOpThreads: number;
  /** Server-wide in-flight request bytes budget shared by every scheduler (none: unlimited). */
  inflight?: InflightBytes;
}

export interface LoadedModel {
  versions: Map<number, ModelVersion>;
  /** Model-wide failure (bad config.pbtxt, no version folder); '' when the versions tell the story. */
  reason: string;
}

const message = (err: unknown): string => (err instanceof Error ? err.message : String(err));

export async function loadModelVersions(
  dir: ModelDirectory,
  name: string,
  options: LoaderOptions,
  log: Logger,
  onState: (v: ModelVersion) => void,
): Promise<LoadedModel> {
  let partial: PartialModelConfig | null;
  let available: number[];
  try {
    const text = await dir.readConfig(name);
    partial = text === null ? null : parsePartialModelConfig(text, `${name}/config.pbtxt`, (w) => log.warn({ model: name }, w));
    available = await dir.listVersions(name);
  } catch (err) {
    return { versions: new Map(), reason: message(err) };
  }
  const policy = partial?.versionPolicy ?? { kind: 'latest', numVersions: 1 };
  const chosen = selectVersions(policy, available);
  if (chosen.length === 0) {
    const found = available.length > 0 ? `version folders ${available.join(', ')}` : 'no numeric version folder';
    return { versions: new Map(), reason: `version_policy selects no version (${found})` };
  }
  const versions = new Map(chosen.map((v) => [v, new ModelVersion(name, v)]));
  await Promise.all([...versions.values()].map((mv) => loadVersion(dir, mv, partial, options, onState)));
  return { versions, reason: '' };
}

async function loadVersion(
  dir: ModelDirectory,
  mv: ModelVersion,
  partial: PartialModelConfig | null,
  options: LoaderOptions,
  onState: (v: ModelVersion) => void,
): Promise<void> {
  onState(mv);
  let pool: InstancePool | null = null;
  try {
    const modelPath = dir.modelFile(mv.name, mv.version, partial?.defaultModelFilename ?? 'model.onnx');
    pool = new InstancePool(sessionSpecs(mv, modelPath, instanceGroups(mv.name, partial), partial?.parameters ?? {}, options));
    const signature = await pool.start();
    const config = completeModelConfig(mv.name, partial, signature, { defaultMaxBatchSize: options.defaultMaxBatchSize });
    const scheduler = new ModelScheduler(pool, mv.stats, mv.label, {
      maxBatchSize: config.maxBatchSize,
      dynamicBatching: config.dynamicBatching,
      inflight: options.inflight,
    });
    const live = pool;
    live.on('failed', (reason: string) => {
      mv.state = 'UNAVAILABLE';
      mv.reason = reason;
      onState(mv);
    });
    mv.serving = { config, pool: live, scheduler };
    mv.state = 'READY';
    mv.reason = '';
  } catch (err) {
    await pool?.close();
    mv.state = 'UNAVAILABLE';
    mv.reason = message(err);
  }
  onState(mv);
}

function sessionSpecs(
  mv: ModelVersion,
  modelPath: string,
  groups: InstanceGroup[],
  parameters: Record<string, string>,
  options: LoaderOptions,
): SessionSpec[] {
  const devices: Array<SessionSpec['device']> = [];
  for (const g of groups) {
    const placements: Array<SessionSpec['device']> =
      g.kind === 'KIND_GPU' ? (g.gpus.length > 0 ? g.gpus : [0]).map((id) => ({ kind: 'cuda', deviceId: id })) : [{ kind: 'cpu' }];
    for (const device of placements) for (let i = 0; i < g.count; i++) devices.push(device);
  }
  const param = (key: string): number | undefined => {
    const v = parameters[key];
    return v !== undefined && /^[0-9]+$/.test(v) ? Number(v) : undefined;
  };
  const shared = Math.max(1, Math.floor(os.availableParallelism() / devices.length));
  const intra = param('intra_op_thread_count') ?? (options.intraOpThreads > 0 ? options.intraOpThreads : shared);
  return devices.map((device, i) => ({
    modelPath,
    device,
    allowCpuFallback: parameters.allow_cpu_fallback === 'true',
    intraOpThreads: intra,
    interOpThreads: param('inter_op_thread_count') ?? 1,
    allowSpinning: parameters.allow_spinning === 'true',
    heapLimitMb: param('worker_heap_limit_mb') ?? 0,
    label: `${mv.label} instance ${i} (${device.kind === 'cpu' ? 'cpu' : `cuda:${device.deviceId}`})`,
  }));
}

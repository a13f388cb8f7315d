// Loads the served versions of one model: reads config.pbtxt, picks versions by version_policy, starts each
// version's instances on their devices, completes the config from the ONNX signature, and builds its scheduler.
// A version that fails is UNAVAILABLE with the reason; the others still load. A previous version whose
// fingerprint (config text, version policy override, files) is unchanged is kept as the same object.

import { createHash } from 'node:crypto';
import * as os from 'node:os';
import { completeModelConfig, instanceGroups } from '../config/autocomplete';
import { inputPolicyOf } from '../config/input-policy';
import type { InstanceGroup, VersionPolicy } from '../config/model-config';
import { parsePartialModelConfig, type PartialModelConfig } from '../config/model-config-parse';
import type { SessionSpec } from '../runtime/messages';
import { DEFAULT_CRASH_LOOP_POLICY, InstancePool, type CrashLoopPolicy } from '../runtime/instance-pool';
import type { InflightBytes } from '../scheduler/inflight-bytes';
import { ModelScheduler } from '../scheduler/model-scheduler';
import type { Logger } from '../telemetry/logger';
import type { ModelDirectory } from './model-directory';
import { ModelVersion } from './model-version';
import { selectVersions } from './version-policy';

export interface LoaderOptions {
  /** max_batch_size given to a model without config.pbtxt whose inputs all have a dynamic first dim (Triton: 4). */
  defaultMaxBatchSize: number;
  /** onnxruntime intra-op threads per instance; 0: the model's instances share the cores but one (sharedIntraOpThreads). */
  intraOpThreads: number;
  /** Server-wide in-flight request bytes budget shared by every scheduler (none: unlimited). */
  inflight?: InflightBytes;
}

export interface LoadedModel {
  versions: Map<number, ModelVersion>;
  /** Model-wide failure (bad config.pbtxt, no version folder); '' when the versions tell the story. */
  reason: string;
  /** The versions loaded by this call (the others in `versions` are kept previous objects). */
  fresh: ModelVersion[];
}

/** What a load may reuse and override. */
export interface ReloadContext {
  /** The versions served now, kept when their fingerprint is unchanged. */
  previous: ReadonlyMap<number, ModelVersion>;
  /** Replaces config.pbtxt's version_policy (a RepositoryModelLoad `config` parameter: rollback). */
  policyOverride: VersionPolicy | null;
}

const message = (err: unknown): string => (err instanceof Error ? err.message : String(err));

export async function loadModelVersions(
  dir: ModelDirectory,
  name: string,
  options: LoaderOptions,
  log: Logger,
  onState: (v: ModelVersion) => void,
  reload: ReloadContext = { previous: new Map(), policyOverride: null },
): Promise<LoadedModel> {
  let partial: PartialModelConfig | null;
  let available: number[];
  let configText: string | null;
  try {
    configText = await dir.readConfig(name);
    partial =
      configText === null ? null : parsePartialModelConfig(configText, `${name}/config.pbtxt`, (w) => log.warn({ model: name }, w));
    available = await dir.listVersions(name);
  } catch (err) {
    return { versions: new Map(), reason: message(err), fresh: [] };
  }
  const policy = reload.policyOverride ?? partial?.versionPolicy ?? { kind: 'latest', numVersions: 1 };
  const chosen = selectVersions(policy, available);
  if (chosen.length === 0) {
    const found = available.length > 0 ? `version folders ${available.join(', ')}` : 'no numeric version folder';
    return { versions: new Map(), reason: `version_policy selects no version (${found})`, fresh: [] };
  }
  const versions = new Map<number, ModelVersion>();
  const fresh: ModelVersion[] = [];
  for (const v of chosen) {
    const fingerprint = createHash('sha256')
      .update(`${configText ?? ''}\0${JSON.stringify(reload.policyOverride)}\0${await dir.stamp(name, String(v))}`)
      .digest('hex');
    const old = reload.previous.get(v);
    if (old && old.ready && old.fingerprint === fingerprint) {
      versions.set(v, old);
    } else {
      const mv = new ModelVersion(name, v, fingerprint);
      versions.set(v, mv);
      fresh.push(mv);
    }
  }
  await Promise.all(fresh.map((mv) => loadVersion(dir, mv, partial, options, onState)));
  return { versions, reason: '', fresh };
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
    const parameters = partial?.parameters ?? {};
    pool = new InstancePool(
      sessionSpecs(mv, modelPath, instanceGroups(mv.name, partial), parameters, options),
      crashLoopPolicy(parameters),
    );
    const signature = await pool.start();
    const config = completeModelConfig(mv.name, partial, signature, { defaultMaxBatchSize: options.defaultMaxBatchSize });
    inputPolicyOf(config); // a malformed input value policy fails the load here, not the first request
    const scheduler = new ModelScheduler(pool, mv.stats, mv.label, {
      maxBatchSize: config.maxBatchSize,
      dynamicBatching: config.dynamicBatching,
      inflight: options.inflight,
    });
    const live = pool;
    live.on('failed', (reason: string) => {
      mv.fail(reason);
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

const paramInt = (parameters: Record<string, string>, key: string): number | undefined => {
  const v = parameters[key];
  return v !== undefined && /^[0-9]+$/.test(v) ? Number(v) : undefined;
};

/** Model parameters `max_worker_restarts` and `worker_restart_window_secs` bound respawning (crash loop). */
function crashLoopPolicy(parameters: Record<string, string>): CrashLoopPolicy {
  const secs = paramInt(parameters, 'worker_restart_window_secs');
  return {
    maxRestarts: paramInt(parameters, 'max_worker_restarts') ?? DEFAULT_CRASH_LOOP_POLICY.maxRestarts,
    restartWindowMs: secs !== undefined ? secs * 1000 : DEFAULT_CRASH_LOOP_POLICY.restartWindowMs,
  };
}

/**
 * onnxruntime intra-op threads per instance when neither the model nor the server sets them: the instances share
 * the cores but one, which is left to the event loop (transport, decoding, batching). Giving them every core buys
 * no speed under load and costs CPU: with two other busy threads on this 2-core machine, the medium MLP's batch-32
 * run took 1.8 ms either way but 2.1–2.2 ms of CPU with 2 threads against 1.5–1.6 ms with 1.
 */
export function sharedIntraOpThreads(cores: number, instances: number): number {
  return Math.max(1, Math.floor((cores - 1) / Math.max(1, instances)));
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
  const param = (key: string): number | undefined => paramInt(parameters, key);
  const shared = sharedIntraOpThreads(os.availableParallelism(), devices.length);
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

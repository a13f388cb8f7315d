// The protocol-neutral data plane: every OIP operation (health, metadata, infer, config, statistics, repository
// control) as one method, shared by all transports. Throws InferError; transports map it to their status.

import { inputPolicyOf } from '../config/input-policy';
import type { ModelConfig } from '../config/model-config';
import { InferError, invalidArgument, notFound } from '../errors';
import type { IndexEntry, ModelRepository } from '../repository/model-repository';
import type { ModelVersion } from '../repository/model-version';
import { checkInputLimits, DEFAULT_INPUT_LIMITS, type InputLimits } from './input-limits';
import { applyInputPolicy } from './input-values';
import { parseLoadParameters } from './load-parameters';
import { retryAfterCrash } from './crash-retry';
import { responseCacheKey, type ResponseCache } from './response-cache';
import type { InferenceObservation, InferenceTelemetry } from '../telemetry/inference-telemetry';
import { failureReason, type ModelStats } from '../telemetry/model-stats';
import { FINAL_RESPONSE, runDecoupled, type ResponseSink } from './decoupled-infer';
import { StreamCounters } from './stream-counters';
import type { InferRequest, InferResponse, ModelMetadata, Params, ServerMetadata } from './types';
import { schedulingParams } from '../scheduler/request-params';
import { validateRequest } from './validate-request';
import type { Tensor } from '../tensor/tensor';

/** The OIP / Triton extensions this server implements. */
export const EXTENSIONS = ['model_repository', 'model_configuration', 'statistics'];

const nowNs = (): number => Number(process.hrtime.bigint());

/** The answer to an infer request (`alias`: the traffic split's name the request was routed through, or ''). */
function inferResponse(mv: ModelVersion, id: string, alias: string, outputs: InferResponse['outputs']): InferResponse {
  return { modelName: mv.name, modelVersion: String(mv.version), id, parameters: alias === '' ? {} : { alias }, outputs };
}

export class DataPlane {
  private draining = false;
  readonly streamCounters = new StreamCounters();

  constructor(
    private readonly repository: ModelRepository,
    private readonly server: { name: string; version: string },
    private readonly inputLimits: InputLimits = DEFAULT_INPUT_LIMITS,
    /** Shared by the models whose config enables response_cache; null when the server runs without one. */
    private readonly responseCache: ResponseCache | null = null,
    private readonly telemetry?: InferenceTelemetry,
  ) {}

  /** Called when shutdown starts: the server stays live but stops being ready. */
  startDraining(): void {
    this.draining = true;
  }

  serverLive(): boolean {
    return true;
  }

  serverReady(): boolean {
    return !this.draining;
  }

  serverMetadata(): ServerMetadata {
    return { name: this.server.name, version: this.server.version, extensions: EXTENSIONS };
  }

  modelReady(name: string, version: string): boolean {
    try {
      return this.repository.resolve(name, version).ready;
    } catch (err) {
      if (err instanceof InferError && err.code === 'UNAVAILABLE') return false;
      throw err;
    }
  }

  modelMetadata(name: string, version: string): ModelMetadata {
    const mv = this.repository.resolve(name, version);
    const config = mv.config;
    const batch = config.maxBatchSize > 0 ? [-1] : [];
    const tensors = (list: ModelConfig['input']) =>
      list.map((t) => ({ name: t.name, datatype: t.datatype, shape: [...batch, ...t.dims] }));
    const versions =
      version === ''
        ? this.repository
            .loadedVersions(name)
            .filter((v) => v.ready)
            .map((v) => String(v.version))
        : [String(mv.version)];
    return { name, versions, platform: config.platform, inputs: tensors(config.input), outputs: tensors(config.output) };
  }

  modelConfig(name: string, version: string): ModelConfig {
    return this.repository.resolve(name, version).config;
  }

  async infer(req: InferRequest): Promise<InferResponse> {
    checkInputLimits(this.inputLimits, req);
    const stickyKey = this.repository.stickyKey(req.modelName);
    const sticky = stickyKey === '' ? undefined : stickyValue(req, stickyKey);
    const { version: mv, alias } = this.repository.route(req.modelName, req.modelVersion, sticky);
    const started = nowNs();
    let observer: InferenceObservation | undefined;
    try {
      const serving = mv.serving;
      if (!serving) throw new InferError('UNAVAILABLE', `${mv.label} is ${mv.state}`);
      if (serving.config.decoupled) {
        throw new InferError('UNIMPLEMENTED', `${mv.label} is decoupled: its responses stream, use the ModelStreamInfer RPC`);
      }
      const { outputs, rows } = validateRequest(mv.label, serving.config, req);
      const policy = inputPolicyOf(serving.config);
      if (policy) applyInputPolicy(mv.label, policy, req.inputs);
      const { priority, timeoutUs } = schedulingParams(mv.label, req.parameters);
      observer = this.telemetry?.begin({ model: mv.name, version: mv.version, id: req.id, trace: req.trace, inputs: req.inputs, rows, startedNs: started });
      const cache = serving.config.responseCache ? this.responseCache : null;
      const key = cache ? responseCacheKey(mv.loadId, req, outputs, stickyKey) : '';
      const hit = cache?.lookup(key);
      if (hit) {
        const ns = nowNs() - started;
        mv.stats.recordCacheHit(ns);
        mv.stats.recordSuccess(ns);
        observer?.succeeded(ns);
        return inferResponse(mv, req.id, alias, hit);
      }
      const lookedUp = nowNs();
      const job = { inputs: req.inputs, outputs, rows, priority, timeoutUs, signal: req.signal, observer };
      let tensors: Tensor[];
      try {
        tensors = await serving.scheduler.submit(job);
      } catch (err) {
        tensors = await retryAfterCrash(mv, serving.config, job, err);
      }
      if (cache) {
        const inserting = nowNs();
        cache.insert(key, tensors);
        mv.stats.recordCacheMiss(lookedUp - started + (nowNs() - inserting));
      }
      const ns = nowNs() - started;
      mv.stats.recordSuccess(ns);
      observer?.succeeded(ns);
      return inferResponse(mv, req.id, alias, tensors);
    } catch (err) {
      const ns = nowNs() - started;
      mv.stats.recordFailure(ns, failureReason(err));
      observer?.failed(err, ns);
      throw err;
    }
  }

  /**
   * One request of a stream (stream-infer.ts): a decoupled model runs its loop and sends each step, then an empty
   * final response; any other model sends its one response, flagged final.
   */
  async inferStreamed(req: InferRequest, sink: ResponseSink): Promise<void> {
    const mv = this.repository.resolve(req.modelName, req.modelVersion);
    const serving = mv.serving;
    if (!serving?.config.decoupled) {
      const response = await this.infer(req);
      response.parameters[FINAL_RESPONSE] = true;
      return sink.send(response);
    }
    const started = nowNs();
    try {
      await runDecoupled(mv.label, mv.version, serving, req, sink, () => this.streamCounters.loopSteps++);
      mv.stats.recordSuccess(nowNs() - started);
    } catch (err) {
      mv.stats.recordFailure(nowNs() - started);
      throw err;
    }
  }

  /** Statistics of every loaded version of `name` ('' = all models), optionally one version. */
  modelStatistics(name: string, version: string): ModelStats[] {
    if (name === '') return this.repository.loadedVersions().map((v) => v.stats);
    let versions: ModelVersion[];
    if (version === '') {
      versions = this.repository.loadedVersions(name);
      if (versions.length === 0 && !this.repository.isKnown(name)) throw notFound(`model '${name}' is not loaded`);
    } else {
      versions = [this.repository.resolve(name, version)];
    }
    return versions.map((v) => v.stats);
  }

  repositoryIndex(readyOnly: boolean): Promise<IndexEntry[]> {
    return this.repository.index(readyOnly);
  }

  /** RepositoryModelLoad; `parameters` may hold `config` (version policy override) or `split` (see load-parameters.ts). */
  async loadModel(name: string, parameters: Params): Promise<void> {
    this.requireExplicitControl('load');
    await this.repository.load(name, parseLoadParameters(name, parameters));
  }

  async unloadModel(name: string): Promise<void> {
    this.requireExplicitControl('unload');
    await this.repository.unload(name);
  }

  private requireExplicitControl(op: string): void {
    if (this.repository.controlMode === 'none') {
      throw new InferError(
        'FAILED_PRECONDITION',
        `explicit model ${op} is not allowed in model control mode 'none'; ` +
          'start the server with --model-control-mode explicit (or poll)',
      );
    }
  }
}

/** The value that pins a request to one arm of a sticky alias: the request parameter, else the call metadata. */
function stickyValue(req: InferRequest, key: string): string | undefined {
  const param = req.parameters[key];
  if (param !== undefined) return String(param);
  return req.header?.(key.toLowerCase());
}

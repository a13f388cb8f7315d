// The model repository as served: which models exist on disk, which versions are loaded and in what state, and
// the load / unload / reload operations (control modes `none`, `explicit` and `poll`). A reload keeps unchanged
// versions (the same objects, in-flight work untouched), builds changed and new ones completely before they
// replace the old ones; old versions finish what they accepted, then stop. A reload that fails leaves the
// previous versions serving, with the reason in the index. Traffic-split aliases (split.pbtxt) live here too.

import { EventEmitter } from 'node:events';
import type { VersionPolicy } from '../config/model-config';
import { parseSplitConfig, type SplitArm } from '../config/split-config';
import { InferError, invalidArgument, notFound, unavailable } from '../errors';
import type { Logger } from '../telemetry/logger';
import { checkModelName, ModelDirectory } from './model-directory';
import { loadModelVersions, type LoaderOptions } from './model-loader';
import type { ModelState, ModelVersion } from './model-version';
import { stickyPoint, TrafficSplit } from './traffic-split';

export type ControlMode = 'none' | 'explicit' | 'poll';

/**
 * What a load may change besides re-reading the files. For each field: undefined keeps what the model has now,
 * null goes back to the files, a value replaces them.
 */
export interface LoadOverrides {
  /** Replaces config.pbtxt's version_policy (rollback). */
  versionPolicy?: VersionPolicy | null;
  /** split.pbtxt text that replaces the alias's file. */
  splitText?: string | null;
}

export interface RepositoryOptions extends LoaderOptions {
  root: string;
  controlMode: ControlMode;
  /** Models to load at start in explicit mode (`--load-model`); `*` loads all. */
  startupModels: string[];
}

/** One row of RepositoryIndex. */
export interface IndexEntry {
  name: string;
  /** '' for a model with no version loaded. */
  version: string;
  state: ModelState | '';
  reason: string;
}

interface ModelRecord {
  name: string;
  versions: Map<number, ModelVersion>;
  /** Why the model as a whole failed (bad config.pbtxt, no version folder), or why it was unloaded. */
  reason: string;
  /** Per served version: why its latest reload did not take (it still serves the previous files). */
  notes: Map<number, string>;
  versionPolicy: VersionPolicy | null;
  splitText: string | null;
  /** Set when the folder is a traffic-split alias. */
  split: TrafficSplit | null;
  /** Serialises load/unload of this model. */
  busy: Promise<void>;
}

/** The version that answers a request, and the alias it came through ('' when addressed directly). */
export interface Route {
  version: ModelVersion;
  alias: string;
}

export class ModelRepository extends EventEmitter {
  readonly directory: ModelDirectory;
  private readonly models = new Map<string, ModelRecord>();

  constructor(
    private readonly options: RepositoryOptions,
    private readonly log: Logger,
  ) {
    super();
    this.directory = new ModelDirectory(options.root);
  }

  get controlMode(): ControlMode {
    return this.options.controlMode;
  }

  /** Loads the models the control mode asks for. A model that fails does not stop the others. */
  async start(): Promise<void> {
    const { controlMode, startupModels } = this.options;
    const names =
      controlMode !== 'explicit' || startupModels.includes('*') ? await this.directory.listModels() : startupModels;
    await Promise.all(
      names.map((name) =>
        this.load(name).catch((err: Error) => this.log.error({ model: name, err: err.message }, 'model failed to load')),
      ),
    );
  }

  /**
   * Loads or reloads a model (or a traffic-split alias). Rejects with the reason when none of the versions it
   * chose could be made ready; the versions served before keep serving in that case.
   */
  async load(name: string, overrides: LoadOverrides = {}): Promise<void> {
    checkModelName(name);
    if (typeof overrides.splitText !== 'string' && !(await this.directory.exists(name))) {
      throw notFound(`model '${name}' is not in the model repository`);
    }
    return this.exclusive(name, async (record) => {
      const policyBefore = record.versionPolicy;
      if (overrides.versionPolicy !== undefined) record.versionPolicy = overrides.versionPolicy;
      if (overrides.splitText !== undefined) record.splitText = overrides.splitText;
      const splitFile = record.splitText === null ? await this.directory.readSplit(name) : null;
      if (record.splitText !== null || splitFile !== null) return this.loadSplit(record, splitFile);
      this.log.info({ model: name }, 'loading model');
      const previous = record.versions;
      const loaded = await loadModelVersions(this.directory, name, this.options, this.log, (v) => this.emitState(v), {
        previous,
        policyOverride: record.versionPolicy,
      });
      const next = new Map(loaded.versions);
      const notes = new Map<number, string>();
      const kept = [...previous.values()].filter((v) => v.ready);
      const failedFresh = loaded.fresh.filter((v) => !v.ready);
      if (loaded.reason !== '' && kept.length > 0) {
        for (const v of kept) next.set(v.version, v);
        for (const v of kept) notes.set(v.version, `reload failed, still serving the previous files: ${loaded.reason}`);
      } else if (failedFresh.length > 0) {
        // A change that fails to load leaves what served before serving, until a later change loads.
        for (const v of failedFresh) {
          const before = previous.get(v.version);
          if (before?.ready) {
            next.set(v.version, before);
            notes.set(v.version, `new files failed to load, still serving the previous ones: ${v.reason}`);
          }
        }
        for (const v of kept) if (!next.has(v.version)) next.set(v.version, v);
      }
      record.versions = next;
      record.notes = notes;
      record.split = null;
      record.reason = loaded.reason;
      for (const [version, note] of notes) this.log.error({ model: name, version }, note);
      await this.retire(previous, next, 'replaced by a reload');
      if (loaded.reason !== '' || ![...loaded.versions.values()].some((v) => v.ready)) {
        // An override that cannot load is not kept for later reloads (poll mode would retry it on every change).
        if (overrides.versionPolicy !== undefined) record.versionPolicy = policyBefore;
        throw unavailable(`model '${name}' failed to load: ${this.describeFailure(loaded.reason, loaded.versions)}`);
      }
    });
  }

  unload(name: string): Promise<void> {
    checkModelName(name);
    return this.exclusive(name, async (record) => {
      if (record.versions.size === 0 && !record.split && !(await this.directory.exists(name))) {
        throw notFound(`model '${name}' is not in the model repository`);
      }
      const previous = record.versions;
      record.versions = new Map();
      record.notes = new Map();
      record.reason = 'unloaded';
      record.versionPolicy = null;
      record.splitText = null;
      record.split = null;
      await this.retire(previous, new Map(), 'unloaded');
      this.log.info({ model: name }, 'model unloaded');
    });
  }

  /**
   * The version a request goes to: the given one, or the highest ready one when `version` is ''. For an alias,
   * the arm a request with sticky value `sticky` (or, without one, a random draw) is routed to.
   */
  route(name: string, version: string, sticky?: string): Route {
    const split = this.models.get(name)?.split;
    if (!split) return { version: this.resolve(name, version), alias: '' };
    if (version !== '') {
      throw invalidArgument(`'${name}' is a traffic-split alias and has no versions; leave model_version empty`);
    }
    const point = sticky === undefined ? Math.random() : stickyPoint(name, sticky);
    const arm = split.pick(point, (a) => this.armReady(a));
    if (!arm) throw unavailable(`alias '${name}': no arm of the ${split.describe()} is ready`);
    return { version: this.resolve(arm.model, armVersion(arm)), alias: name };
  }

  /** The sticky key of an alias ('' for a model, or an alias without stickiness). */
  stickyKey(name: string): string {
    return this.models.get(name)?.split?.config.stickyKey ?? '';
  }

  /** Like route, without randomness: for an alias, its heaviest ready arm (metadata, config, readiness). */
  resolve(name: string, version: string): ModelVersion {
    const record = this.models.get(name);
    if (record?.split) {
      const arms = [...record.split.config.arms].sort((a, b) => b.weight - a.weight);
      const arm = arms.find((a) => a.weight > 0 && this.armReady(a));
      if (version !== '') throw invalidArgument(`'${name}' is a traffic-split alias and has no versions`);
      if (!arm) throw unavailable(`alias '${name}': no arm of the ${record.split.describe()} is ready`);
      return this.resolve(arm.model, armVersion(arm));
    }
    if (!record || (record.versions.size === 0 && record.reason === '')) {
      throw notFound(`model '${name}' is not loaded (unknown model)`);
    }
    if (version === '') {
      // The newest ready version, found without building arrays (every request without a version comes here).
      let newest: ModelVersion | null = null;
      for (const v of record.versions.values()) if (v.ready && (newest === null || v.version > newest.version)) newest = v;
      if (newest === null) {
        throw unavailable(`model '${name}' has no ready version: ${this.describeFailure(record.reason, record.versions)}`);
      }
      return newest;
    }
    if (!/^[0-9]+$/.test(version)) throw invalidArgument(`model '${name}': version '${version}' is not a number`);
    const v = record.versions.get(Number(version));
    if (!v) {
      const served = [...record.versions.keys()].join(', ') || 'none';
      throw notFound(`model '${name}' version ${version} is not served (served versions: ${served})`);
    }
    if (!v.ready) throw unavailable(`${v.label} is not ready: ${v.state}${v.reason ? `: ${v.reason}` : ''}`);
    return v;
  }

  /** Ready versions of every model, for health and statistics. */
  loadedVersions(name?: string): ModelVersion[] {
    const records = name === undefined ? [...this.models.values()] : [this.models.get(name)].filter((r) => r);
    return (records as ModelRecord[]).flatMap((r) => [...r.versions.values()]);
  }

  isKnown(name: string): boolean {
    return this.models.has(name);
  }

  /** Names of the models and aliases held in memory (loaded, failed or unloaded). */
  knownNames(): string[] {
    return [...this.models.keys()];
  }

  /** Every model in the repository folder plus every model held in memory, with version states. */
  async index(readyOnly: boolean): Promise<IndexEntry[]> {
    const names = new Set([...(await this.directory.listModels()), ...this.models.keys()]);
    const rows: IndexEntry[] = [];
    for (const name of [...names].sort()) {
      const record = this.models.get(name);
      if (record?.split) {
        const ready = record.split.config.arms.some((a) => a.weight > 0 && this.armReady(a));
        if (!readyOnly || ready) {
          rows.push({ name, version: '', state: ready ? 'READY' : 'UNAVAILABLE', reason: record.split.describe() });
        }
        continue;
      }
      const versions = record ? [...record.versions.values()].sort((a, b) => a.version - b.version) : [];
      for (const v of versions) {
        const reason = record?.notes.get(v.version) ?? v.reason;
        if (!readyOnly || v.ready) rows.push({ name, version: String(v.version), state: v.state, reason });
      }
      if (versions.length === 0 && !readyOnly) {
        rows.push({ name, version: '', state: record ? 'UNAVAILABLE' : '', reason: record?.reason ?? '' });
      }
    }
    return rows;
  }

  async close(): Promise<void> {
    await Promise.all([...this.models.keys()].map((name) => this.unload(name).catch(() => undefined)));
  }

  private describeFailure(reason: string, versions: Map<number, ModelVersion>): string {
    const reasons = [...versions.values()].map((v) => `version ${v.version}: ${v.state}: ${v.reason}`);
    return [reason, ...reasons].filter((r) => r).join('; ') || 'no version loaded';
  }

  private armReady(arm: SplitArm): boolean {
    try {
      return this.resolve(arm.model, armVersion(arm)).ready;
    } catch {
      return false;
    }
  }

  /** Applies a split (from the RPC override, else the alias's file); a bad one leaves the previous split routing. */
  private async loadSplit(record: ModelRecord, fileText: string | null): Promise<void> {
    const fromRpc = record.splitText !== null;
    const source = fromRpc ? 'RepositoryModelLoad' : 'split.pbtxt';
    let split: TrafficSplit;
    try {
      const where = fromRpc ? `${record.name}: RepositoryModelLoad parameter 'split'` : `${record.name}/split.pbtxt`;
      const config = parseSplitConfig(where, (fromRpc ? record.splitText : fileText) as string);
      for (const arm of config.arms) checkModelName(arm.model);
      split = new TrafficSplit(record.name, config, source);
    } catch (err) {
      const reason = err instanceof Error ? err.message : String(err);
      if (fromRpc) record.splitText = null;
      this.log.error({ model: record.name, reason }, 'traffic split failed to load');
      throw invalidArgument(`alias '${record.name}': ${reason}`);
    }
    const previous = record.versions;
    record.split = split;
    record.versions = new Map();
    record.notes = new Map();
    record.reason = '';
    await this.retire(previous, record.versions, 'the folder became a traffic-split alias');
    this.log.info({ model: record.name, split: split.describe() }, 'traffic split loaded');
    this.emit('split', record.name);
  }

  /** Unloads the versions of `previous` that are not the same objects in `next`. */
  private async retire(previous: Map<number, ModelVersion>, next: Map<number, ModelVersion>, why: string) {
    const old = [...previous.values()].filter((v) => next.get(v.version) !== v);
    await Promise.all(
      old.map(async (v) => {
        await v.unload(why);
        this.emitState(v);
      }),
    );
  }

  private emitState(v: ModelVersion): void {
    this.log.info({ model: v.name, version: v.version, state: v.state, reason: v.reason || undefined }, 'model state');
    this.emit('state', v);
  }

  private exclusive(name: string, op: (record: ModelRecord) => Promise<void>): Promise<void> {
    let record = this.models.get(name);
    if (!record) {
      record = {
        name,
        versions: new Map(),
        reason: '',
        notes: new Map(),
        versionPolicy: null,
        splitText: null,
        split: null,
        busy: Promise.resolve(),
      };
      this.models.set(name, record);
    }
    const r = record;
    const run = r.busy.then(() => op(r));
    r.busy = run.catch(() => undefined);
    return run.catch((err: unknown) => {
      if (err instanceof InferError) throw err;
      throw unavailable(`model '${name}': ${err instanceof Error ? err.message : String(err)}`);
    });
  }
}

const armVersion = (arm: SplitArm): string => (arm.version === 0 ? '' : String(arm.version));

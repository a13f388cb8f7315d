// The model repository as served: which models exist on disk, which versions are loaded and in what state, and
// the load / unload / reload operations (control modes `none` and `explicit`). A reload builds the new versions
// completely before they replace the old ones; old versions finish what they accepted, then stop.

import { EventEmitter } from 'node:events';
import { InferError, invalidArgument, notFound, unavailable } from '../errors';
import type { Logger } from '../telemetry/logger';
import { checkModelName, ModelDirectory } from './model-directory';
import { loadModelVersions, type LoaderOptions } from './model-loader';
import type { ModelState, ModelVersion } from './model-version';

export type ControlMode = 'none' | 'explicit';

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
  /** Serialises load/unload of this model. */
  busy: Promise<void>;
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
      controlMode === 'none' || startupModels.includes('*') ? await this.directory.listModels() : startupModels;
    await Promise.all(
      names.map((name) =>
        this.load(name).catch((err: Error) => this.log.error({ model: name, err: err.message }, 'model failed to load')),
      ),
    );
  }

  /** Loads or reloads a model. Rejects with the reason when no version of it could be made ready. */
  async load(name: string): Promise<void> {
    checkModelName(name);
    if (!(await this.directory.exists(name))) throw notFound(`model '${name}' is not in the model repository`);
    return this.exclusive(name, async (record) => {
      this.log.info({ model: name }, 'loading model');
      const loaded = await loadModelVersions(this.directory, name, this.options, this.log, (v) =>
        this.emitState(v),
      );
      const previous = record.versions;
      record.versions = loaded.versions;
      record.reason = loaded.reason;
      await this.retire(previous, loaded.versions, 'replaced by a reload');
      if (![...loaded.versions.values()].some((v) => v.ready)) {
        throw unavailable(`model '${name}' failed to load: ${this.describeFailure(record)}`);
      }
    });
  }

  unload(name: string): Promise<void> {
    checkModelName(name);
    return this.exclusive(name, async (record) => {
      if (record.versions.size === 0 && !(await this.directory.exists(name))) {
        throw notFound(`model '${name}' is not in the model repository`);
      }
      const previous = record.versions;
      record.versions = new Map();
      record.reason = 'unloaded';
      await this.retire(previous, new Map(), 'unloaded');
      this.log.info({ model: name }, 'model unloaded');
    });
  }

  /** The version a request goes to: the given one, or the highest ready one when `version` is ''. */
  resolve(name: string, version: string): ModelVersion {
    const record = this.models.get(name);
    if (!record || (record.versions.size === 0 && record.reason === '')) {
      throw notFound(`model '${name}' is not loaded (unknown model)`);
    }
    if (version === '') {
      const ready = [...record.versions.values()].filter((v) => v.ready);
      if (ready.length === 0) throw unavailable(`model '${name}' has no ready version: ${this.describeFailure(record)}`);
      return ready.reduce((a, b) => (b.version > a.version ? b : a));
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

  /** Every model in the repository folder plus every model held in memory, with version states. */
  async index(readyOnly: boolean): Promise<IndexEntry[]> {
    const names = new Set([...(await this.directory.listModels()), ...this.models.keys()]);
    const rows: IndexEntry[] = [];
    for (const name of [...names].sort()) {
      const record = this.models.get(name);
      const versions = record ? [...record.versions.values()].sort((a, b) => a.version - b.version) : [];
      for (const v of versions) {
        if (!readyOnly || v.ready) rows.push({ name, version: String(v.version), state: v.state, reason: v.reason });
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

  private describeFailure(record: ModelRecord): string {
    const reasons = [...record.versions.values()].map((v) => `version ${v.version}: ${v.state}: ${v.reason}`);
    return [record.reason, ...reasons].filter((r) => r).join('; ') || 'no version loaded';
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
      record = { name, versions: new Map(), reason: '', busy: Promise.resolve() };
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

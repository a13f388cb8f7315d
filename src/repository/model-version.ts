// One version of one model as the server holds it: its completed config, its instance pool and scheduler, its
// statistics, and its state in Triton's terms (LOADING, READY, UNLOADING, UNAVAILABLE) with a reason. A version
// whose instances give up (crash loop) fails: it turns UNAVAILABLE and its scheduler refuses what it queued.

import type { ModelConfig } from '../config/model-config';
import { unavailable } from '../errors';
import type { InstancePool } from '../runtime/instance-pool';
import type { ModelScheduler } from '../scheduler/model-scheduler';
import { ModelStats } from '../telemetry/model-stats';

export type ModelState = 'LOADING' | 'READY' | 'UNLOADING' | 'UNAVAILABLE';

export interface Serving {
  config: ModelConfig;
  pool: InstancePool;
  scheduler: ModelScheduler;
}

let loads = 0;

export class ModelVersion {
  state: ModelState = 'LOADING';
  reason = '';
  serving: Serving | null = null;
  readonly stats: ModelStats;
  /** Unique per load of a version: a reload of the same version number gets a new one (response cache keys). */
  readonly loadId = ++loads;
  /** Requests run a second time after their worker thread died under them. */
  crashRetries = 0;

  /**
   * `fingerprint` identifies what this version was loaded from (config, policy override and its files); a
   * reload whose fingerprint is the same keeps this object serving.
   */
  constructor(
    readonly name: string,
    readonly version: number,
    readonly fingerprint = '',
  ) {
    this.stats = new ModelStats(name, version);
  }

  /** The instances gave up (crash loop): no new requests; queued ones are failed UNAVAILABLE with the reason. */
  fail(reason: string): void {
    this.state = 'UNAVAILABLE';
    this.reason = reason;
    this.serving?.scheduler.fail(unavailable(`${this.label} is unavailable: ${reason}`));
  }

  get label(): string {
    return `model '${this.name}' version ${this.version}`;
  }

  get ready(): boolean {
    return this.state === 'READY' && this.serving !== null;
  }

  /** Config of a loaded version (throws if the version never loaded: a bug in the caller). */
  get config(): ModelConfig {
    if (!this.serving) throw new Error(`${this.label} is not loaded`);
    return this.serving.config;
  }

  /** Stops taking requests, lets queued and running ones finish, then stops the instances. */
  async unload(reason: string): Promise<void> {
    const serving = this.serving;
    if (!serving || this.state === 'UNLOADING') return;
    this.state = 'UNLOADING';
    await serving.scheduler.drain();
    await serving.pool.close();
    this.serving = null;
    this.state = 'UNAVAILABLE';
    this.reason = reason;
  }
}

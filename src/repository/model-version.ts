// One version of one model as the server holds it: its completed config, its instance pool and scheduler, its
// statistics, and its state in Triton's terms (LOADING, READY, UNLOADING, UNAVAILABLE) with a reason.

import type { ModelConfig } from '../config/model-config';
import type { InstancePool } from '../runtime/instance-pool';
import type { ModelScheduler } from '../scheduler/model-scheduler';
import { ModelStats } from '../telemetry/model-stats';

export type ModelState = 'LOADING' | 'READY' | 'UNLOADING' | 'UNAVAILABLE';

export interface Serving {
  config: ModelConfig;
  pool: InstancePool;
  scheduler: ModelScheduler;
}

export class ModelVersion {
  state: ModelState = 'LOADING';
  reason = '';
  serving: Serving | null = null;
  readonly stats: ModelStats;

  constructor(
    readonly name: string,
    readonly version: number,
  ) {
    this.stats = new ModelStats(name, version);
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

// The instances of one model version (instance_group count × devices): starts them, hands idle ones to the
// scheduler (and busy ones with room for a queued run, acquireQueued), and replaces an instance whose worker
// thread died. Emits 'available' when an instance finishes a run,
// and 'failed' (with the reason) when it gives up: every instance gone, or a crash loop (more than
// `maxRestarts` worker deaths within `restartWindowMs`), after which it stops respawning.

import { EventEmitter } from 'node:events';
import type { SessionSpec } from './messages';
import { ModelInstance, type Signature } from './model-instance';

export interface CrashLoopPolicy {
  /** Worker deaths tolerated within the window; one more marks the pool failed. */
  maxRestarts: number;
  restartWindowMs: number;
}

export const DEFAULT_CRASH_LOOP_POLICY: CrashLoopPolicy = { maxRestarts: 5, restartWindowMs: 60_000 };

export class InstancePool extends EventEmitter {
  private readonly instances = new Set<ModelInstance>();
  private readonly idle: ModelInstance[] = [];
  private closed = false;
  /** Times (ms) of recent worker deaths, oldest first, within the crash-loop window. */
  private readonly crashTimes: number[] = [];
  /** Replacements started after crashes (for statistics and tests). */
  respawns = 0;
  /** Why the pool gave up; '' while it is healthy. */
  failure = '';

  constructor(
    private readonly specs: readonly SessionSpec[],
    private readonly crashLoop: CrashLoopPolicy = DEFAULT_CRASH_LOOP_POLICY,
  ) {
    super();
  }

  /** Starts every instance; rejects (after stopping the ones that did start) if any fails to load. */
  async start(): Promise<Signature> {
    const started = this.specs.map((spec) => new ModelInstance(spec));
    const results = await Promise.allSettled(started.map((i) => i.load()));
    const failure = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failure) {
      await Promise.all(started.map((i) => i.close()));
      throw failure.reason instanceof Error ? failure.reason : new Error(String(failure.reason));
    }
    for (const inst of started) this.adopt(inst);
    return (results[0] as PromiseFulfilledResult<Signature>).value;
  }

  get size(): number {
    return this.instances.size;
  }

  /** The devices the instances run on, e.g. ['cpu', 'cpu']. */
  get providers(): string[] {
    return [...this.instances].map((i) => i.provider);
  }

  /** Live instances (read-only view, for statistics and tests). */
  list(): ModelInstance[] {
    return [...this.instances];
  }

  /** An instance with nothing in flight, or null. */
  acquire(): ModelInstance | null {
    while (this.idle.length > 0) {
      const inst = this.idle.pop() as ModelInstance;
      if (inst.alive) return inst;
    }
    return null;
  }

  /** A busy instance that can take a run queued behind its current one (the least loaded), or null. */
  acquireQueued(): ModelInstance | null {
    let best: ModelInstance | null = null;
    for (const inst of this.instances) {
      if (!inst.alive || inst.inFlight === 0 || inst.inFlight >= ModelInstance.depth) continue;
      if (!best || inst.inFlight < best.inFlight) best = inst;
    }
    return best;
  }

  /** Takes in the answers workers have already written (see ModelInstance.collect). */
  collect(): void {
    for (const inst of this.instances) inst.collect();
  }

  /** A run on `inst` finished: it is idle again once nothing else is in flight on it. */
  release(inst: ModelInstance): void {
    if (this.closed || !inst.alive || !this.instances.has(inst)) return;
    if (inst.inFlight === 0 && !this.idle.includes(inst)) this.idle.push(inst);
    this.emit('available');
  }

  async close(): Promise<void> {
    this.closed = true;
    const all = [...this.instances];
    this.instances.clear();
    this.idle.length = 0;
    await Promise.all(all.map((i) => i.close()));
  }

  private adopt(inst: ModelInstance): void {
    this.instances.add(inst);
    inst.once('exit', (reason: string) => this.onInstanceExit(inst, reason));
    this.release(inst);
  }

  private onInstanceExit(inst: ModelInstance, reason: string): void {
    if (this.closed || !this.instances.delete(inst)) return;
    const at = this.idle.indexOf(inst);
    if (at >= 0) this.idle.splice(at, 1);
    this.emit('instance-exit', inst.label, reason);
    if (this.isCrashLooping(reason)) return;
    this.respawns++;
    const replacement = new ModelInstance(inst.spec);
    replacement.load().then(
      () => (this.closed ? void replacement.close() : this.adopt(replacement)),
      (err: Error) => {
        this.emit('respawn-failed', inst.label, err.message);
        if (this.instances.size === 0) this.fail(`every instance is gone; last failure: ${err.message}`);
      },
    );
  }

  private isCrashLooping(reason: string): boolean {
    const now = Date.now();
    this.crashTimes.push(now);
    while (this.crashTimes.length > 0 && this.crashTimes[0] < now - this.crashLoop.restartWindowMs) this.crashTimes.shift();
    if (this.crashTimes.length <= this.crashLoop.maxRestarts) return false;
    const secs = this.crashLoop.restartWindowMs / 1000;
    this.fail(
      `crash loop: worker threads died ${this.crashTimes.length} times within ${secs} s ` +
        `(max_worker_restarts ${this.crashLoop.maxRestarts}); not restarting them; last: ${reason}`,
    );
    return true;
  }

  private fail(reason: string): void {
    if (this.failure !== '') return;
    this.failure = reason;
    this.emit('failed', reason);
  }
}

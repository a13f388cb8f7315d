// Poll mode (`--model-control-mode poll`): every `intervalMs` it stamps each model folder (model-directory.ts
// `stamp`: files, sizes, mtimes, .pbtxt text) and reloads the models whose stamp changed, loads new folders and
// unloads removed ones. ModelRepository.load does the careful part (keep unchanged versions, new ones ready before
// old ones retire, failures leave the previous versions serving); this only decides what to reload and when.

import type { Logger } from '../telemetry/logger';
import type { ModelRepository } from './model-repository';

export class RepositoryPoller {
  private readonly stamps = new Map<string, string>();
  private timer: NodeJS.Timeout | null = null;
  private polling: Promise<void> = Promise.resolve();
  private stopped = false;

  constructor(
    private readonly repository: ModelRepository,
    private readonly intervalMs: number,
    private readonly log: Logger,
  ) {}

  /** Stamps the repository as it is now (call before the first load, so a change during it is seen). */
  async prime(): Promise<void> {
    for (const name of await this.repository.directory.listModels()) {
      this.stamps.set(name, await this.repository.directory.stamp(name));
    }
  }

  start(): void {
    this.schedule();
  }

  /** Stops polling and waits for a poll in progress to finish. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    await this.polling;
  }

  /** One pass: reload changed models, load new ones, unload removed ones. Resolves when all are applied. */
  async pollOnce(): Promise<void> {
    let names: string[];
    try {
      names = await this.repository.directory.listModels();
    } catch (err) {
      this.log.error({ err: (err as Error).message }, 'cannot read the model repository; keeping what is served');
      return;
    }
    const work: Array<Promise<void>> = [];
    for (const name of names) {
      const stamp = await this.repository.directory.stamp(name).catch(() => null);
      if (stamp === null || this.stamps.get(name) === stamp) continue;
      const isNew = !this.stamps.has(name);
      this.stamps.set(name, stamp);
      this.log.info({ model: name }, isNew ? 'poll: new model folder' : 'poll: model files changed');
      work.push(
        this.repository
          .load(name, { splitText: null })
          .catch((err: Error) => this.log.error({ model: name, err: err.message }, 'poll: model failed to load')),
      );
    }
    for (const name of [...this.stamps.keys()]) {
      if (names.includes(name)) continue;
      this.stamps.delete(name);
      this.log.info({ model: name }, 'poll: model folder removed');
      work.push(
        this.repository.unload(name).catch((err: Error) => this.log.error({ model: name, err: err.message }, 'poll: unload failed')),
      );
    }
    await Promise.all(work);
  }

  private schedule(): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      this.polling = this.pollOnce().finally(() => this.schedule());
    }, this.intervalMs);
    this.timer.unref();
  }
}

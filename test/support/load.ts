// Continuous load for lifecycle tests: N clients each send one request after another until stopped, and every
// outcome is counted (sent / succeeded / failed, by model version, errors kept with their send time), so a test
// can assert "zero failed requests" and "traffic moved" on real counts and print them.

import type * as grpc from '@grpc/grpc-js';
import { call } from './server';

export interface Outcome {
  /** Date.now() when the request was sent and when it finished. */
  sentMs: number;
  doneMs: number;
  version: string;
  error: grpc.ServiceError | null;
}

export interface LoadCounts {
  sent: number;
  succeeded: number;
  failed: number;
  byVersion: Record<string, number>;
}

export class LoadGenerator {
  readonly outcomes: Outcome[] = [];
  private running = true;
  private readonly loops: Array<Promise<void>>;

  /** `check` returns what is wrong with a response's values ('' when right); a wrong answer counts as failed. */
  constructor(
    clients: grpc.Client[],
    request: (client: number, seq: number) => unknown,
    check: (response: unknown, seq: number) => string = () => '',
    options: Partial<grpc.CallOptions> = {},
  ) {
    this.loops = clients.map(async (client, c) => {
      for (let seq = 0; this.running; seq++) {
        const sentMs = Date.now();
        try {
          const res = await call<{ modelVersion: string; model_version?: string }>(client, 'modelInfer', request(c, seq), {
            deadline: Date.now() + 120_000,
            ...options,
          });
          const wrong = check(res, seq);
          const error = wrong === '' ? null : ({ code: -1, details: `wrong answer: ${wrong}` } as unknown as grpc.ServiceError);
          this.outcomes.push({ sentMs, doneMs: Date.now(), version: res.modelVersion ?? res.model_version ?? '', error });
        } catch (err) {
          this.outcomes.push({ sentMs, doneMs: Date.now(), version: '', error: err as grpc.ServiceError });
          if (!this.running) break;
        }
      }
    });
  }

  /** Resolves once at least `n` more requests finished. */
  async waitFor(n: number): Promise<void> {
    const target = this.outcomes.length + n;
    while (this.outcomes.length < target) await new Promise((r) => setTimeout(r, 10));
  }

  async stop(): Promise<LoadCounts> {
    this.running = false;
    await Promise.all(this.loops);
    return this.counts();
  }

  counts(since = 0): LoadCounts {
    const list = this.outcomes.filter((o) => o.sentMs >= since);
    const byVersion: Record<string, number> = {};
    for (const o of list) if (!o.error) byVersion[o.version] = (byVersion[o.version] ?? 0) + 1;
    const failed = list.filter((o) => o.error).length;
    return { sent: list.length, succeeded: list.length - failed, failed, byVersion };
  }

  errors(): string[] {
    return this.outcomes.filter((o) => o.error).map((o) => `${o.error?.code}: ${o.error?.details}`);
  }
}

export async function until(cond: () => boolean | Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error(`timed out waiting for: ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

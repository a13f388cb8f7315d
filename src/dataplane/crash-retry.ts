// Crash recovery for one request: when the worker thread running it dies (WorkerCrashError), the request is run
// once more — on the same version's scheduler, which hands it to another or the replacement instance — if the
// model is idempotent (the default; model parameter `idempotent: "false"` turns it off). A second crash, or a
// non-idempotent model, fails the request UNAVAILABLE with the reason. The request's own tensors are still intact:
// the runtime copies inputs into a fresh buffer for each dispatch (runtime/transfer.ts).

import type { ModelConfig } from '../config/model-config';
import { unavailable } from '../errors';
import type { ModelVersion } from '../repository/model-version';
import { isWorkerCrash } from '../runtime/worker-crash-error';
import type { SchedulerJob } from '../scheduler/model-scheduler';
import type { Tensor } from '../tensor/tensor';

export function isIdempotent(config: ModelConfig): boolean {
  return config.parameters.idempotent !== 'false';
}

/**
 * Called with the error of `job`'s first run on `mv`: resubmits it once if that run's worker crashed and the model
 * allows it (counting the retry on the version), else throws the error as it is or as UNAVAILABLE with the reason.
 * The first submit is the caller's own `await`, so a request that does not crash pays for nothing here.
 */
export async function retryAfterCrash(mv: ModelVersion, config: ModelConfig, job: SchedulerJob, err: unknown): Promise<Tensor[]> {
  if (!isWorkerCrash(err)) throw err;
  if (!isIdempotent(config)) {
    throw unavailable(`${err.message} (not retried: the model's 'idempotent' parameter is false)`);
  }
  const again = mv.serving;
  if (!mv.ready || !again) throw unavailable(`${err.message} (not retried: ${mv.label} is ${mv.state})`);
  mv.crashRetries++;
  try {
    return await again.scheduler.submit(job);
  } catch (second) {
    if (!isWorkerCrash(second)) throw second;
    throw unavailable(`${second.message} (the request was retried once after a first crash: ${err.message})`);
  }
}

// The failure of a request whose worker thread died while the request was on it. It is an UNAVAILABLE InferError
// like any other, but a distinct class so the data plane can tell "the instance died under the request" (safe to
// run again elsewhere when the model is idempotent) from every other UNAVAILABLE.

import { InferError } from '../errors';

export class WorkerCrashError extends InferError {
  constructor(message: string) {
    super('UNAVAILABLE', message);
    this.name = 'WorkerCrashError';
  }
}

export function isWorkerCrash(err: unknown): err is WorkerCrashError {
  return err instanceof WorkerCrashError;
}

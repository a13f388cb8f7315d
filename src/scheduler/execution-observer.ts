// How telemetry (traces, metrics) learns what the scheduler did with a request, without the scheduler knowing
// about telemetry: each job may carry an observer; the scheduler calls it when the request leaves the queue and
// once per execution with every request that shared it (so a batch span can link them all).

export interface ExecutionRecord {
  /** Rows in the execution (its batch size; 1 for a model without batching). */
  batchSize: number;
  /** Observers of every request in the execution, this one included. */
  requests: readonly ExecutionObserver[];
  /** process.hrtime.bigint() as numbers: dispatch, session.run start, session.run end, results back. */
  startNs: number;
  inferStartNs: number;
  inferEndNs: number;
  endNs: number;
}

export interface ExecutionObserver {
  /** The request left the queue for an instance at `atNs`. */
  dequeued(atNs: number): void;
  /** The execution that carried this request finished (called once per request in it, same record). */
  executed(record: ExecutionRecord): void;
}

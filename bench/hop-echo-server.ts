// The transport ceiling of a worker-thread design: the bare grpc-js echo of echo-server.ts, except that every
// request's bytes make one round trip through a worker thread before the answer goes out — the least any server
// that runs its models in worker threads must do. Requests read in one event-loop turn share one round trip (as
// inferd's batcher shares one execution among them); the trip is a SharedArrayBuffer plus Atomics, the worker
// blocking in Atomics.wait and notified only while it sleeps, the main thread awaiting Atomics.waitAsync. No
// protobuf decoding, no model, no scheduler: the gap between this server and the plain echo is the cost of the
// thread hop alone on this machine. Run as its own process:
// `node dist/bench/hop-echo-server.js <model> <rows> <outDim>`; prints "port N" when serving.

import type * as grpc from '@grpc/grpc-js';
import { isMainThread, Worker, workerData } from 'node:worker_threads';
import { encodedResponse, serveRawModelInfer } from './raw-model-infer';

/** Control words: request sequence, response sequence, worker sleeping, request bytes. */
const REQUEST = 0;
const RESPONSE = 1;
const SLEEPING = 2;
const BYTES = 3;
const DATA_AT = 64;
const CAPACITY = 64 * 1024 * 1024;

type WaitAsync = (a: Int32Array, index: number, value: number) => { async: boolean; value: Promise<string> | string };
const waitAsync = (Atomics as unknown as { waitAsync: WaitAsync }).waitAsync;

/** The worker: copies each trip's request bytes to the response half of the buffer (as a model writes outputs). */
function workerMain(sab: SharedArrayBuffer): void {
  const control = new Int32Array(sab, 0, 4);
  const bytes = new Uint8Array(sab);
  const half = DATA_AT + CAPACITY;
  let served = 0;
  for (;;) {
    Atomics.store(control, SLEEPING, 1);
    Atomics.wait(control, REQUEST, served);
    Atomics.store(control, SLEEPING, 0);
    const seq = Atomics.load(control, REQUEST);
    if (seq === served) continue;
    bytes.copyWithin(half, DATA_AT, DATA_AT + control[BYTES]);
    served = seq;
    Atomics.store(control, RESPONSE, seq);
    Atomics.notify(control, RESPONSE);
  }
}

function main(): void {
  const [model, rows, outDim] = process.argv.slice(2);
  const response = encodedResponse(model, Number(rows), Number(outDim));
  const sab = new SharedArrayBuffer(DATA_AT + 2 * CAPACITY);
  const control = new Int32Array(sab, 0, 4);
  const data = Buffer.from(sab, DATA_AT, CAPACITY);
  const worker = new Worker(__filename, { workerData: sab });
  worker.unref();

  type Waiting = { body: Buffer; answer: grpc.sendUnaryData<Buffer> };
  let queued: Waiting[] = [];
  let flushSoon = false;
  let inFlight = false;
  let seq = 0;

  /** One round trip for everything queued; requests that arrive meanwhile wait for the next one. */
  const trip = async (): Promise<void> => {
    flushSoon = false;
    if (inFlight || queued.length === 0) return;
    inFlight = true;
    const batch = queued;
    queued = [];
    let at = 0;
    for (const w of batch) at += w.body.copy(data, at);
    control[BYTES] = at;
    Atomics.store(control, REQUEST, ++seq);
    if (Atomics.load(control, SLEEPING) === 1) Atomics.notify(control, REQUEST);
    while (Atomics.load(control, RESPONSE) < seq) {
      const r = waitAsync(control, RESPONSE, Atomics.load(control, RESPONSE));
      if (r.async) await r.value;
    }
    inFlight = false;
    for (const w of batch) w.answer(null, response);
    if (queued.length > 0) void trip();
  };

  serveRawModelInfer((call, answer) => {
    queued.push({ body: call.request, answer });
    if (!flushSoon) {
      flushSoon = true;
      setImmediate(() => void trip());
    }
  });
}

if (isMainThread) main();
else workerMain(workerData as SharedArrayBuffer);

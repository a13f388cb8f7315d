// The transport ceiling of a worker-thread design: the bare grpc-js echo of echo-server.ts, except that every
// request's bytes make one round trip through a worker thread before the answer goes out — the least any server
// that runs its models in worker threads must do. Requests read in one event-loop turn share one round trip (as
// inferd's batcher shares one execution among them); the trip is a SharedArrayBuffer plus Atomics, the worker
// blocking in Atomics.wait and notified only while it sleeps, the main thread awaiting Atomics.waitAsync. No
// protobuf decoding, no scheduler: the gap between this server and the plain echo is the cost of the thread hop
// alone on this machine.
//
// Given a model file, the worker also runs that model once per trip (onnxruntime session, one intra-op thread, on
// as many rows as the trip carries, up to 32): the floor of any worker-thread server that runs this model, with
// the engine's real cost inside a busy server process (cold caches, shared cores) rather than in a hot loop.
//
// With `codec` after the model file it is the least an OIP server built from inferd's parts must do: each request is
// decoded by the generated ts-proto codec, the trip carries the requests' own input rows, the worker runs the
// model on them and writes its output rows back, and each caller gets a ModelInferResponse encoded from its own
// rows. Nothing else: no validation, scheduler, statistics or telemetry, the work inferd does on top.
// Run as its own process: `node dist/bench/hop-echo-server.js <model> <rows> <outDim> [<model.onnx> <inDim> [codec]]`;
// prints "port N" when serving.

import type * as grpc from '@grpc/grpc-js';
import { isMainThread, Worker, workerData } from 'node:worker_threads';
import { ModelInferRequest } from '../generated/inference/grpc_service';
import { encodedResponse, encodeResponse, serveRawModelInfer } from './raw-model-infer';

/** Control words: request sequence, response sequence, worker sleeping, request bytes, rows of the trip. Request bytes go at DATA_AT, answers at DATA_AT + CAPACITY. */
const REQUEST = 0;
const RESPONSE = 1;
const SLEEPING = 2;
const BYTES = 3;
const ROWS = 4;
const DATA_AT = 64;
const CAPACITY = 64 * 1024 * 1024;
/** Longest wait for the worker's answer before looking at the response word again (inferd bounds it with an instance watchdog). */
const REPORT_WAIT_MS = 20;
/** Rows one trip carries at most when it runs the model (the suite's max_batch_size). */
const MAX_ROWS = 32;

type WaitAsync = (a: Int32Array, index: number, value: number, timeoutMs: number) => { async: boolean; value: Promise<string> | string };
const waitAsync = (Atomics as unknown as { waitAsync: WaitAsync }).waitAsync;

interface WorkerSetup {
  sab: SharedArrayBuffer;
  /** The model to run per trip, or '' to copy the request bytes only. */
  modelPath: string;
  inDim: number;
  /** Run the model on the trip's input rows and write its output rows back (the `codec` server). */
  codec: boolean;
}

/** One trip's work: the model on the trip's rows, or a copy of its request bytes (as a model writes outputs). */
async function tripWork(setup: WorkerSetup): Promise<(control: Int32Array) => Promise<void> | void> {
  const bytes = new Uint8Array(setup.sab);
  if (setup.modelPath === '') return (control) => void bytes.copyWithin(DATA_AT + CAPACITY, DATA_AT, DATA_AT + control[BYTES]);
  const ort = await import('onnxruntime-node');
  const session = await ort.InferenceSession.create(setup.modelPath, {
    intraOpNumThreads: 1,
    interOpNumThreads: 1,
    graphOptimizationLevel: 'all',
  });
  const input = session.inputNames[0];
  const output = session.outputNames[0];
  if (setup.codec) {
    return async (control) => {
      const rows = control[ROWS];
      const x = new Float32Array(rows * setup.inDim);
      x.set(new Float32Array(setup.sab, DATA_AT, x.length));
      const y = (await session.run({ [input]: new ort.Tensor('float32', x, [rows, setup.inDim]) }))[output].data as Float32Array;
      new Float32Array(setup.sab, DATA_AT + CAPACITY, y.length).set(y);
    };
  }
  return async (control) => {
    const rows = control[ROWS];
    await session.run({ [input]: new ort.Tensor('float32', new Float32Array(rows * setup.inDim), [rows, setup.inDim]) });
  };
}

async function workerMain(setup: WorkerSetup): Promise<void> {
  const control = new Int32Array(setup.sab, 0, 8);
  const work = await tripWork(setup);
  let served = 0;
  for (;;) {
    Atomics.store(control, SLEEPING, 1);
    Atomics.wait(control, REQUEST, served);
    Atomics.store(control, SLEEPING, 0);
    const seq = Atomics.load(control, REQUEST);
    if (seq === served) continue;
    await work(control);
    served = seq;
    Atomics.store(control, RESPONSE, seq);
    Atomics.notify(control, RESPONSE);
  }
}

function main(): void {
  const [model, rows, outDim, modelPath = '', inDim = '0', mode = ''] = process.argv.slice(2);
  const rowsPerRequest = Number(rows);
  const codec = mode === 'codec';
  const outCols = Number(outDim);
  const response = encodedResponse(model, rowsPerRequest, outCols);
  const sab = new SharedArrayBuffer(DATA_AT + 2 * CAPACITY);
  const control = new Int32Array(sab, 0, 8);
  const data = Buffer.from(sab, DATA_AT, CAPACITY);
  const answers = Buffer.from(sab, DATA_AT + CAPACITY, CAPACITY);
  const setup: WorkerSetup = { sab, modelPath, inDim: Number(inDim), codec };
  const worker = new Worker(__filename, { workerData: setup });
  worker.unref();
  /** Requests one trip takes: all queued, or as many as fit the model's batch. */
  const perTrip = modelPath === '' ? Infinity : Math.max(1, Math.floor(MAX_ROWS / rowsPerRequest));

  /** A request: its bytes (the model's input rows when decoded) and, when decoded, its id and row count. */
  type Waiting = { body: Uint8Array; answer: grpc.sendUnaryData<Buffer>; id: string; rows: number };
  const queued: Waiting[] = [];
  let flushSoon = false;
  let inFlight = false;
  let seq = 0;

  /** One round trip for what is queued; requests that arrive meanwhile (or do not fit) wait for the next one. */
  const trip = async (): Promise<void> => {
    flushSoon = false;
    if (inFlight || queued.length === 0) return;
    inFlight = true;
    const batch = queued.splice(0, perTrip);
    let at = 0;
    let tripRows = 0;
    for (const w of batch) {
      data.set(w.body, at);
      at += w.body.byteLength;
      tripRows += w.rows;
    }
    control[BYTES] = at;
    control[ROWS] = tripRows;
    Atomics.store(control, REQUEST, ++seq);
    if (Atomics.load(control, SLEEPING) === 1) Atomics.notify(control, REQUEST);
    while (Atomics.load(control, RESPONSE) < seq) {
      // Bounded: without it this server once stalled for good after about 10^5 trips (worker idle, report never delivered).
      const r = waitAsync(control, RESPONSE, Atomics.load(control, RESPONSE), REPORT_WAIT_MS);
      if (r.async) await r.value;
    }
    inFlight = false;
    let from = 0;
    for (const w of batch) {
      if (!codec) {
        w.answer(null, response);
        continue;
      }
      const rowsOut = answers.subarray(from, from + w.rows * outCols * 4);
      from += rowsOut.byteLength;
      w.answer(null, encodeResponse(model, w.id, w.rows, outCols, rowsOut));
    }
    if (queued.length > 0) void trip();
  };

  serveRawModelInfer((call, answer) => {
    if (codec) {
      const req = ModelInferRequest.decode(call.request);
      queued.push({ body: req.rawInputContents[0], answer, id: req.id, rows: Number(req.inputs[0].shape[0]) });
    } else queued.push({ body: call.request, answer, id: '', rows: rowsPerRequest });
    if (!flushSoon) {
      flushSoon = true;
      setImmediate(() => void trip());
    }
  });
}

if (isMainThread) main();
else void workerMain(workerData as WorkerSetup);

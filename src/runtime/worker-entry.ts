// Entry point of a model worker thread: owns exactly one onnxruntime InferenceSession (one model instance) on one
// device, runs each request that arrives through its shared slots (shared-channel.ts) or as a 'run' message, and
// answers the same way (results by postMessage have their buffers transferred).

import { parentPort } from 'node:worker_threads';
import * as ort from 'onnxruntime-node';
import type { FromWorker, SessionSpec, SignatureEntry, ToWorker, WireTensor } from './messages';
import { fallbackPlacement, placementError, primaryPlacement, type Placement } from './device';
import { SharedChannel } from './shared-channel';

if (!parentPort) throw new Error('worker-entry must run in a worker thread');
// Failures come back to the main thread as the model's reason; onnxruntime's own stderr lines would duplicate them.
ort.env.logLevel = 'fatal';
const port = parentPort;
let session: ort.InferenceSession | null = null;

const now = (): number => Number(process.hrtime.bigint());
const send = (msg: FromWorker, transfer: ArrayBuffer[] = []): void => port.postMessage(msg, transfer);

function signature(meta: readonly ort.InferenceSession.ValueMetadata[], what: string): SignatureEntry[] {
  return meta.map((m) => {
    if (!m.isTensor) throw new Error(`${what} '${m.name}' is not a tensor (sequences and maps are not supported)`);
    return { name: m.name, type: m.type, shape: [...m.shape] };
  });
}

function createSession(spec: SessionSpec, placement: Placement): Promise<ort.InferenceSession> {
  return ort.InferenceSession.create(spec.modelPath, {
    executionProviders: placement.providers,
    intraOpNumThreads: spec.intraOpThreads,
    interOpNumThreads: spec.interOpThreads,
    graphOptimizationLevel: 'all',
    extra: { session: { intra_op: { allow_spinning: spec.allowSpinning ? '1' : '0' } } },
    logSeverityLevel: 4,
  });
}

async function load(spec: SessionSpec): Promise<void> {
  let placement = primaryPlacement(spec);
  try {
    try {
      session = await createSession(spec, placement);
    } catch (err) {
      const fallback = fallbackPlacement(spec);
      if (!fallback) throw new Error(placementError(spec, err instanceof Error ? err.message : String(err)));
      placement = fallback;
      session = await createSession(spec, placement);
    }
    send({
      kind: 'loaded',
      inputs: signature(session.inputMetadata, 'input'),
      outputs: signature(session.outputMetadata, 'output'),
      provider: placement.provider,
    });
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    // onnxruntime-node names ONNX type 16 only by number.
    const hint = /Unsupported data type: 16\b/.test(message) ? ' (bfloat16: onnxruntime-node has no bfloat16 tensors)' : '';
    send({ kind: 'load-failed', message: message + hint });
  }
}

/** Output buffers are transferred when they are plain ArrayBuffers the worker can give away. */
function transferable(t: WireTensor, list: ArrayBuffer[]): void {
  if (Array.isArray(t.data)) return;
  const buf = t.data.buffer;
  if (buf instanceof ArrayBuffer && !list.includes(buf)) list.push(buf);
}

/**
 * Longest the idle worker blocks before letting its event loop turn unasked. Every message and run rings the
 * doorbell and Worker.terminate interrupts the wait, so this is only a safety net; each unasked turn costs the
 * idle thread CPU (at 50 ms, six idle instances cost the server 35-47 ms of CPU per second against 18-19 at 2 s).
 */
const IDLE_WAIT_MS = 1000;
let closing = false;

const turnEventLoop = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/**
 * Runs the requests that arrive through the shared slots, one at a time and in order, until the worker closes.
 * When the main thread has queued the next run, it starts at once. Between requests the thread sleeps on the
 * channel's doorbell; whenever a posted message has not been taken in yet ('run' by postMessage, 'close'), it lets
 * the event loop turn first, so no message waits for the idle timeout.
 */
async function serveChannel(ch: SharedChannel): Promise<void> {
  let answered = 0; // runs are numbered from 1 on a fresh channel (some may already be waiting)
  while (!closing) {
    const bell = ch.bell();
    if (ch.requestSeq() > answered) {
      const seq = ++answered;
      const receivedNs = now();
      const { id, inputs, outputs } = ch.readRequest(seq);
      await run(id, inputs, outputs, receivedNs, { ch, seq });
      continue;
    }
    if (ch.posted() !== messagesTaken) {
      await turnEventLoop();
      continue;
    }
    if (messageRuns.size > 0) {
      // A run that came by postMessage needs this thread's event loop (session.run goes through setImmediate).
      await Promise.race(messageRuns);
      continue;
    }
    ch.waitBell(bell, IDLE_WAIT_MS);
    if (ch.bell() === bell) await turnEventLoop();
  }
}

/**
 * Runs request `id`; answers through its channel slot when it came that way (falling back to postMessage if the
 * outputs do not fit), else by postMessage.
 */
async function run(id: number, inputs: WireTensor[], outputs: string[], receivedNs: number, via: { ch: SharedChannel; seq: number } | null): Promise<void> {
  try {
    if (!session) throw new Error('session is not loaded');
    const feeds: Record<string, ort.Tensor> = {};
    for (const t of inputs) {
      feeds[t.name] = new ort.Tensor(t.type as ort.Tensor.Type, t.data as ort.Tensor.DataType, t.dims);
    }
    const inferStartNs = now();
    const result = await session.run(feeds, outputs);
    const inferEndNs = now();
    const out: WireTensor[] = [];
    const transfer: ArrayBuffer[] = [];
    for (const name of outputs) {
      const v = result[name];
      const t: WireTensor = { name, type: v.type, dims: [...v.dims], data: v.data as WireTensor['data'] };
      transferable(t, transfer);
      out.push(t);
    }
    const timings = { receivedNs, inferStartNs, inferEndNs };
    if (via?.ch.sendResult(via.seq, out, timings)) return;
    send({ kind: 'result', id, outputs: out, timings }, transfer);
    via?.ch.sentByMessage(via.seq);
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    if (via) via.ch.sendFailure(via.seq, message);
    else send({ kind: 'run-failed', id, message });
  }
}

/** Messages this thread's event loop has taken in (compared with the slot's count of messages posted). */
let messagesTaken = 0;
/** Runs that came by postMessage and have not finished. */
const messageRuns = new Set<Promise<void>>();

port.on('message', (msg: ToWorker) => {
  messagesTaken++;
  switch (msg.kind) {
    case 'load': {
      const channel = new SharedChannel(msg.channel);
      void load(msg.spec).then(() => session && serveChannel(channel));
      break;
    }
    case 'run': {
      const running = run(msg.id, msg.inputs, msg.outputs, now(), null).finally(() => messageRuns.delete(running));
      messageRuns.add(running);
      break;
    }
    case 'close':
      closing = true;
      void (session?.release() ?? Promise.resolve()).finally(() => process.exit(0));
      break;
  }
});

// Runs one request on a decoupled model: the model's declared loop (config/decoupled-loop.ts), one scheduler
// submit per step (so concurrent loops batch together), each step's streamed outputs handed to the sink as a
// response, then an empty final response. Stops at the step limit, at the stop value, or when the request's
// signal aborts (checked before every step); waits for the sink before each next step (flow control).

import type { DecoupledLoop, LoopStop } from '../config/decoupled-loop';
import { invalidArgument } from '../errors';
import type { Serving } from '../repository/model-version';
import { abortError } from '../scheduler/model-scheduler';
import { DATATYPE_INFO } from '../tensor/datatypes';
import { bf16BitsToFp32, fp16BitsToFp32 } from '../tensor/half';
import { elementCount, type NumericData, type Tensor } from '../tensor/tensor';
import type { InferRequest, InferResponse, ParamValue } from './types';
import { validateRequest } from './validate-request';

/** The response parameter that marks a request's last streamed response (as Triton and tritonclient name it). */
export const FINAL_RESPONSE = 'triton_final_response';

/** Where a streamed request's responses go. `send` resolves when the receiver can take more. */
export interface ResponseSink {
  send(response: InferResponse): Promise<void>;
}

function stepLimit(where: string, loop: DecoupledLoop, value: ParamValue | undefined): number {
  if (value === undefined) return loop.maxStepsDefault;
  const n = typeof value === 'bigint' ? Number(value) : value;
  if (typeof n !== 'number' || !Number.isSafeInteger(n) || n < 0 || n > loop.maxStepsLimit) {
    throw invalidArgument(
      `${where}: parameter '${loop.maxStepsParameter}' must be an integer in [0, ${loop.maxStepsLimit}], got ${String(value)}`,
    );
  }
  return n;
}

function stopReached(tensor: Tensor, stop: LoopStop): boolean {
  const data = tensor.data;
  if (Array.isArray(data)) {
    const text = Buffer.from(String(stop.value));
    return data.length > 0 && data.every((b) => text.equals(b));
  }
  const read =
    tensor.datatype === 'FP16'
      ? (i: number) => fp16BitsToFp32(data[i] as number)
      : tensor.datatype === 'BF16'
        ? (i: number) => bf16BitsToFp32(data[i] as number)
        : tensor.datatype === 'BOOL'
          ? (i: number) => data[i] !== 0
          : (i: number) => data[i];
  if (data.length === 0) return false;
  for (let i = 0; i < data.length; i++) if (read(i) !== stop.value) return false;
  return true;
}

/** Zeros for the feedback inputs the first request left out (their dims are fixed; batch dim = rows). */
function zeroInputs(serving: Serving, loop: DecoupledLoop, req: InferRequest): Tensor[] {
  const given = new Set(req.inputs.map((t) => t.name));
  const config = serving.config;
  const rows = config.maxBatchSize > 0 ? (req.inputs[0]?.shape[0] ?? 1) : 1;
  return loop.zeroInitInputs
    .filter((name) => !given.has(name))
    .map((name) => {
      const spec = config.input.find((i) => i.name === name)!;
      const shape = config.maxBatchSize > 0 ? [rows, ...spec.dims] : [...spec.dims];
      const Ctor = DATATYPE_INFO[spec.datatype].array!;
      return { name, datatype: spec.datatype, shape, data: new Ctor(elementCount(shape)) as NumericData };
    });
}

/**
 * Runs the loop for `req` and sends its responses; resolves after the final one. Rejects with an InferError
 * when the request is invalid, a step fails, or the request is cancelled (nothing more is sent then).
 */
export async function runDecoupled(
  label: string,
  modelVersion: number,
  serving: Serving,
  req: InferRequest,
  sink: ResponseSink,
  onStep: () => void,
): Promise<void> {
  const loop = serving.config.loop!;
  const maxSteps = stepLimit(label, loop, req.parameters[loop.maxStepsParameter]);
  let inputs = [...req.inputs, ...zeroInputs(serving, loop, req)];
  const { rows } = validateRequest(label, serving.config, { ...req, inputs });
  const streamed = req.outputs.length > 0 ? req.outputs.map((o) => o.name) : loop.streamOutputs;
  const needed = new Set([...streamed, ...loop.feedback.map((f) => f.output)]);
  if (loop.stop) needed.add(loop.stop.output);
  const outputs = [...needed];
  const respond = (tensors: Tensor[], final: boolean): InferResponse => ({
    modelName: serving.config.name,
    modelVersion: String(modelVersion),
    id: req.id,
    parameters: { [FINAL_RESPONSE]: final },
    outputs: tensors,
  });
  for (let step = 0; step < maxSteps; step++) {
    if (req.signal?.aborted) throw abortError(req.signal, label);
    const result = await serving.scheduler.submit({ inputs, outputs, rows, signal: req.signal });
    onStep();
    const byName = new Map(result.map((t) => [t.name, t]));
    if (loop.stop && stopReached(byName.get(loop.stop.output)!, loop.stop)) break;
    await sink.send(respond(streamed.map((n) => byName.get(n)!), false));
    const fed = new Map(loop.feedback.map((f) => [f.input, { ...byName.get(f.output)!, name: f.input }]));
    inputs = [...inputs.filter((t) => !fed.has(t.name)), ...fed.values()];
  }
  if (req.signal?.aborted) throw abortError(req.signal, label);
  await sink.send(respond([], true));
}

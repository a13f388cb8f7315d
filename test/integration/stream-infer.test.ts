// ModelStreamInfer against a real inferd on loopback, through the ts-proto client and a proto-loader client:
// interleaved requests, errors that do not end the stream, half-close, streamed == unary, decoupled loops
// (final-response flag, step limit, stop value, the generator model), cancellation, and a reader in another
// process that stops reading (real HTTP/2 and TCP back-pressure).

import { spawn } from 'node:child_process';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import * as grpc from '@grpc/grpc-js';
import * as ort from 'onnxruntime-node';
import { COUNTER_FILL } from '../../scripts/streaming-models';
import { generate } from '../../src/cli/generate';
import type { InferdServer } from '../../src/server';
import type { ModelInferRequest, ModelInferResponse, ModelStreamInferResponse } from '../../generated/inference/grpc_service';
import {
  FIXTURES_DIR,
  MODELS_DIR,
  call,
  callError,
  int32Bytes,
  int32Values,
  protoLoaderClient,
  startServer,
  tempRepository,
  tsProtoClient,
} from '../support/server';
import { openStream, settled, sleep, until } from '../support/stream';

let server: InferdServer;
let gen: grpc.Client;
let pl: grpc.Client;

beforeAll(async () => {
  const repo = await tempRepository({
    simple: path.join(MODELS_DIR, 'simple'),
    mlp: path.join(MODELS_DIR, 'mlp'),
    generator: path.join(MODELS_DIR, 'generator'),
    counter: path.join(FIXTURES_DIR, 'counter'),
    counter_bad: path.join(FIXTURES_DIR, 'counter'),
  });
  const badConfig = path.join(repo, 'counter_bad/config.pbtxt');
  await fs.writeFile(badConfig, (await fs.readFile(badConfig, 'utf8')).replace('name: "counter"', 'name: "counter_bad"').replace('NEXT:COUNT', 'FILL:COUNT'));
  server = await startServer({ modelRepository: repo });
  gen = tsProtoClient(server.address);
  pl = protoLoaderClient(server.address);
});

afterAll(async () => {
  gen.close();
  pl.close();
  await server.stop();
});

const counters = () => server.dataplane.streamCounters;

const A = Array.from({ length: 16 }, (_, i) => i);
const B = Array.from({ length: 16 }, () => 1);

function simpleRequest(id: string, offset = 0): ModelInferRequest {
  return {
    modelName: 'simple',
    modelVersion: '',
    id,
    parameters: {},
    inputs: ['INPUT0', 'INPUT1'].map((name) => ({ name, datatype: 'INT32', shape: [1n, 16n], parameters: {}, contents: undefined })),
    outputs: [],
    rawInputContents: [int32Bytes(A.map((a) => a + offset)), int32Bytes(B)],
  };
}

function mlpRequest(id: string, x: number[]): ModelInferRequest {
  return {
    modelName: 'mlp',
    modelVersion: '',
    id,
    parameters: {},
    inputs: [{ name: 'INPUT', datatype: 'FP32', shape: [1n, 4n], parameters: {}, contents: undefined }],
    outputs: [],
    rawInputContents: [Buffer.from(new Float32Array(x).buffer)],
  };
}

function counterRequest(id: string, start: number, maxTokens?: number, outputs: string[] = []): ModelInferRequest {
  return {
    modelName: 'counter',
    modelVersion: '',
    id,
    parameters: maxTokens === undefined ? {} : { max_tokens: { int64Param: BigInt(maxTokens) } },
    inputs: [{ name: 'COUNT', datatype: 'INT64', shape: [1n, 1n], parameters: {}, contents: undefined }],
    outputs: outputs.map((name) => ({ name, parameters: {} })),
    rawInputContents: [Buffer.from(new BigInt64Array([BigInt(start)]).buffer)],
  };
}

const int64Values = (buf: Uint8Array): bigint[] =>
  Array.from(new BigInt64Array(buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength)));

const isFinal = (m: ModelStreamInferResponse): boolean | undefined => m.inferResponse?.parameters.triton_final_response?.boolParam;

/** The NEXT values a counter request streamed (non-final responses), and whether it ended with the final flag. */
function counterRun(messages: ModelStreamInferResponse[], id: string): { values: number[]; final: boolean } {
  const mine = messages.filter((m) => m.inferResponse?.id === id);
  const values = mine.filter((m) => isFinal(m) === false).map((m) => Number(int64Values(m.inferResponse!.rawOutputContents[0])[0]));
  const last = mine[mine.length - 1];
  return { values, final: last !== undefined && isFinal(last) === true && last.inferResponse!.outputs.length === 0 };
}

describe('ModelStreamInfer', () => {
  test('many interleaved requests on one stream each get their own result (ts-proto)', async () => {
    const s = openStream<ModelStreamInferResponse>(gen);
    const n = 40;
    for (let i = 0; i < n; i++) {
      s.call.write(i % 2 === 0 ? simpleRequest(`simple-${i}`, i) : counterRequest(`counter-${i}`, i * 100, 3));
    }
    s.call.end();
    expect(await s.ended).toEqual({ how: 'end', code: 0 });
    expect(s.messages.every((m) => m.errorMessage === '')).toBe(true);
    for (let i = 0; i < n; i += 2) {
      const mine = s.messages.filter((m) => m.inferResponse?.id === `simple-${i}`);
      expect(mine).toHaveLength(1);
      expect(int32Values(mine[0].inferResponse!.rawOutputContents[0])).toEqual(A.map((a, k) => a + i + B[k]));
      expect(int32Values(mine[0].inferResponse!.rawOutputContents[1])).toEqual(A.map((a, k) => a + i - B[k]));
      expect(isFinal(mine[0])).toBe(true);
    }
    for (let i = 1; i < n; i += 2) {
      expect(counterRun(s.messages, `counter-${i}`)).toEqual({ values: [i * 100 + 1, i * 100 + 2, i * 100 + 3], final: true });
    }
    expect(s.messages).toHaveLength(n / 2 + (n / 2) * 4);
  });

  test('a bad request in the middle gets error_message and later requests still succeed (proto-loader)', async () => {
    type PlResponse = { error_message: string; infer_response: { id: string; model_name: string; raw_output_contents: Buffer[] } };
    const s = openStream<PlResponse>(pl);
    const ok = (id: string) => ({
      model_name: 'simple',
      id,
      inputs: ['INPUT0', 'INPUT1'].map((name) => ({ name, datatype: 'INT32', shape: [1, 16] })),
      raw_input_contents: [int32Bytes(A), int32Bytes(B)],
    });
    s.call.write(ok('first'));
    s.call.write({ ...ok('wrong-type'), inputs: [{ name: 'INPUT0', datatype: 'FP32', shape: [1, 16] }, { name: 'INPUT1', datatype: 'INT32', shape: [1, 16] }] });
    s.call.write({ ...ok('no-model'), model_name: 'nope' });
    s.call.write({ ...ok('raw-count'), raw_input_contents: [int32Bytes(A)] });
    s.call.write(ok('last'));
    s.call.end();
    expect(await s.ended).toEqual({ how: 'end', code: 0 });
    const byId = new Map(s.messages.map((m) => [m.infer_response.id, m]));
    expect(byId.size).toBe(5);
    for (const id of ['first', 'last']) {
      expect(byId.get(id)!.error_message).toBe('');
      expect(int32Values(byId.get(id)!.infer_response.raw_output_contents[0])).toEqual(A.map((a, k) => a + B[k]));
    }
    expect(byId.get('wrong-type')!.error_message).toMatch(/model 'simple'.*input 'INPUT0' has datatype FP32, the model expects INT32/);
    expect(byId.get('no-model')!.error_message).toMatch(/'nope'/);
    expect(byId.get('raw-count')!.error_message).toMatch(/model 'simple'.*raw_input_contents has 1 entries for 2 inputs/);
    expect(byId.get('raw-count')!.infer_response.model_name).toBe('simple');
  });

  test('half-close after N requests yields exactly N responses, then a clean end', async () => {
    const s = openStream<ModelStreamInferResponse>(gen);
    for (let i = 0; i < 12; i++) s.call.write(simpleRequest(`r${i}`, i));
    s.call.end();
    expect(await s.ended).toEqual({ how: 'end', code: 0 });
    expect(s.messages.map((m) => m.inferResponse!.id).sort()).toEqual(Array.from({ length: 12 }, (_, i) => `r${i}`).sort());
  });

  test('half-close with a decoupled request in flight: the loop finishes and is sent before the end', async () => {
    const s = openStream<ModelStreamInferResponse>(gen);
    s.call.write(counterRequest('long', 0, 200));
    s.call.end();
    expect(await s.ended).toEqual({ how: 'end', code: 0 });
    expect(counterRun(s.messages, 'long')).toEqual({ values: Array.from({ length: 200 }, (_, i) => i + 1), final: true });
  });

  test.each([
    ['ts-proto', () => gen],
    ['proto-loader', () => pl],
  ])('streamed and unary results are identical for the same inputs (%s)', async (_name, client) => {
    const inputs = [[0.5, -1, 2, 0.25], [1, 1, 1, 1], [-3, 0.1, 0, 7]];
    const requests = [...inputs.map((x, i) => mlpRequest(`mlp-${i}`, x)), simpleRequest('simple', 5)];
    const unary = await Promise.all(requests.map((r) => call<ModelInferResponse>(gen, 'modelInfer', r)));
    const s = openStream<{ inferResponse?: ModelInferResponse; infer_response?: { id: string; raw_output_contents: Buffer[] } }>(client());
    const plRequest = (r: ModelInferRequest) => ({
      model_name: r.modelName,
      id: r.id,
      inputs: r.inputs.map((t) => ({ name: t.name, datatype: t.datatype, shape: t.shape.map(Number) })),
      raw_input_contents: r.rawInputContents,
    });
    for (const r of requests) s.call.write(client() === gen ? r : plRequest(r));
    s.call.end();
    await s.ended;
    for (const u of unary) {
      const m = s.messages.find((x) => (x.inferResponse?.id ?? x.infer_response?.id) === u.id)!;
      const raw = m.inferResponse?.rawOutputContents ?? m.infer_response!.raw_output_contents;
      expect(raw.map((b) => Buffer.from(b).toString('hex'))).toEqual(u.rawOutputContents.map((b) => Buffer.from(b).toString('hex')));
    }
  });

  test('unary ModelInfer on a decoupled model fails clearly', async () => {
    const err = await callError(gen, 'modelInfer', counterRequest('x', 1));
    expect(err.code).toBe(grpc.status.UNIMPLEMENTED);
    expect(err.details).toMatch(/model 'counter' version 1 is decoupled.*ModelStreamInfer/);
  });
});

describe('decoupled models', () => {
  test('a loop declaration that does not fit the model leaves it UNAVAILABLE with the reason', async () => {
    const idx = await call<{ models: Array<{ name: string; state: string; reason: string }> }>(gen, 'repositoryIndex', { ready: false });
    const bad = idx.models.find((m) => m.name === 'counter_bad')!;
    expect(bad.state).toBe('UNAVAILABLE');
    expect(bad.reason).toMatch(/parameter 'loop.feedback': output 'FILL' is FP32 but input 'COUNT' is INT64/);
  });

  test('one response per step, then an empty response flagged triton_final_response', async () => {
    const s = openStream<ModelStreamInferResponse>(gen);
    s.call.write(counterRequest('c', 1, 3));
    s.call.end();
    await s.ended;
    expect(s.messages).toHaveLength(4);
    expect(s.messages.map(isFinal)).toEqual([false, false, false, true]);
    expect(s.messages.slice(0, 3).map((m) => m.inferResponse!.outputs.map((o) => [o.name, o.datatype, o.shape]))).toEqual(
      Array(3).fill([['NEXT', 'INT64', [1n, 1n]]]),
    );
    expect(counterRun(s.messages, 'c')).toEqual({ values: [2, 3, 4], final: true });
    expect(s.messages[3].inferResponse).toMatchObject({ modelName: 'counter', modelVersion: '1', id: 'c', outputs: [], rawOutputContents: [] });
  });

  test('the stop value ends the loop without being sent; the default step limit applies without max_tokens', async () => {
    const s = openStream<ModelStreamInferResponse>(gen);
    s.call.write(counterRequest('stop', -3, 100));
    s.call.write(counterRequest('default', 100));
    s.call.write(counterRequest('zero', 7, 0));
    s.call.end();
    await s.ended;
    expect(counterRun(s.messages, 'stop')).toEqual({ values: [-2, -1], final: true });
    expect(counterRun(s.messages, 'default')).toEqual({ values: Array.from({ length: 10 }, (_, i) => 101 + i), final: true });
    expect(counterRun(s.messages, 'zero')).toEqual({ values: [], final: true });
  });

  test('a bad step limit is an error_message naming the parameter', async () => {
    const s = openStream<ModelStreamInferResponse>(gen);
    s.call.write(counterRequest('neg', 1, -1));
    s.call.write(counterRequest('big', 1, 2_000_000));
    s.call.end();
    await s.ended;
    expect(s.messages).toHaveLength(2);
    for (const m of s.messages) {
      expect(m.errorMessage).toMatch(/model 'counter' version 1: parameter 'max_tokens' must be an integer in \[0, 1000000\]/);
    }
  });

  test('requested outputs narrow what each step streams', async () => {
    const s = openStream<ModelStreamInferResponse>(gen);
    s.call.write(counterRequest('fill', 4, 2, ['FILL', 'NEXT']));
    s.call.end();
    await s.ended;
    const first = s.messages[0].inferResponse!;
    expect(first.outputs.map((o) => o.name)).toEqual(['FILL', 'NEXT']);
    const fill = first.rawOutputContents[0];
    expect(Array.from(new Float32Array(fill.buffer.slice(fill.byteOffset, fill.byteOffset + fill.byteLength)))).toEqual(Array(COUNTER_FILL).fill(5));
  });

  test('the generator streams the tokens of a greedy loop run directly in onnxruntime (proto-loader)', async () => {
    const prompt = 'Four score';
    const maxTokens = 48;
    const session = await ort.InferenceSession.create(path.join(MODELS_DIR, 'generator/1/model.onnx'));
    const hiddenSize = Number((session.inputMetadata[1] as unknown as { shape: number[] }).shape[1]);
    let tokens = BigInt64Array.from([...prompt].map((c) => BigInt(c.charCodeAt(0))));
    let hidden: ort.Tensor = new ort.Tensor('float32', new Float32Array(hiddenSize), [1, hiddenSize]);
    let expected = '';
    for (let i = 0; i < maxTokens; i++) {
      const r = await session.run({ TOKENS: new ort.Tensor('int64', tokens, [1, tokens.length]), HIDDEN: hidden });
      const next = (r.NEXT_TOKEN.data as BigInt64Array)[0];
      if (next === 0n) break;
      expected += String.fromCharCode(Number(next));
      tokens = BigInt64Array.from([next]);
      hidden = r.HIDDEN_OUT;
    }
    await session.release();
    expect(expected).toMatch(/^ and seven years/);

    type PlResponse = { error_message: string; infer_response: { parameters: Record<string, { bool_param: boolean }>; raw_output_contents: Buffer[] } };
    const s = openStream<PlResponse>(pl);
    s.call.write({
      model_name: 'generator',
      id: 'g',
      parameters: { max_tokens: { int64_param: maxTokens } },
      inputs: [{ name: 'TOKENS', datatype: 'INT64', shape: [1, prompt.length] }],
      raw_input_contents: [Buffer.from(BigInt64Array.from([...prompt].map((c) => BigInt(c.charCodeAt(0)))).buffer)],
    });
    s.call.end();
    await s.ended;
    const streamed = s.messages
      .filter((m) => m.infer_response.parameters.triton_final_response.bool_param === false)
      .map((m) => String.fromCharCode(Number(int64Values(m.infer_response.raw_output_contents[0])[0])))
      .join('');
    expect(s.messages.every((m) => m.error_message === '')).toBe(true);
    expect(streamed).toBe(expected);
    expect(s.messages[s.messages.length - 1].infer_response.parameters.triton_final_response.bool_param).toBe(true);
  });

  test('the example client (inferd generate) prints the characters as they stream', async () => {
    const pieces: string[] = [];
    const count = await generate('Four score', { url: server.address, model: 'generator', maxTokens: 20 }, (t) => pieces.push(t));
    expect(count).toBe(20);
    expect(pieces).toHaveLength(20);
    expect(pieces.join('')).toBe(' and seven years ago');
  });

  test('client cancel mid-generation stops the loop: the step count stops growing', async () => {
    const before = counters().loopSteps;
    const s = openStream<ModelStreamInferResponse>(gen);
    s.call.write(counterRequest('endless', 1, 1_000_000));
    await s.waitFor(50);
    s.call.cancel();
    expect((await s.ended).code).toBe(grpc.status.CANCELLED);
    await until(() => counters().streamsActive === 0);
    const stopped = await settled(() => counters().loopSteps);
    await sleep(300);
    expect(counters().loopSteps).toBe(stopped);
    expect(stopped - before).toBeGreaterThanOrEqual(50);
    expect(stopped - before).toBeLessThan(1_000_000);
    // The server still serves streams afterwards.
    const again = openStream<ModelStreamInferResponse>(gen);
    again.call.write(counterRequest('after', 1, 2));
    again.call.end();
    await again.ended;
    expect(counterRun(again.messages, 'after')).toEqual({ values: [2, 3], final: true });
  });

  test('a reader that stops reading pauses the loop with bounded buffering; a vanished one stops it', async () => {
    const messageBytes = 8 + COUNTER_FILL * 4;
    const pausesBefore = counters().pauses;
    const child = spawn(process.execPath, [path.join(__dirname, '../support/slow-stream-client.js'), server.address, '1000000'], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    try {
      await new Promise<void>((resolve) => child.stdout!.once('data', () => resolve()));
      child.kill('SIGSTOP');
      await until(() => counters().pauses > pausesBefore);
      const paused = await settled(() => counters().loopSteps, 500);
      await sleep(500);
      expect(counters().loopSteps).toBe(paused);
      expect(counters().bufferedBytes).toBeGreaterThan(0);
      expect(counters().bufferedBytes).toBeLessThanOrEqual(32 * messageBytes);
      expect(counters().peakBufferedBytes).toBeLessThanOrEqual(32 * messageBytes);
      child.kill('SIGCONT');
      await until(() => counters().loopSteps > paused);
    } finally {
      child.kill('SIGKILL');
    }
    await until(() => counters().streamsActive === 0);
    const stopped = await settled(() => counters().loopSteps);
    await sleep(300);
    expect(counters().loopSteps).toBe(stopped);
    expect(counters().bufferedBytes).toBe(0);
  });
});

// Owns: the shared-slot hand-off (src/runtime/shared-channel.ts) within one thread: requests and results of every
// numeric type round-trip as copies (never views of the shared buffer), two runs wait in their own slots and are
// answered in order, BYTES or oversized runs are refused (the caller then uses postMessage), and the response
// kind tells the main thread where the answer is. Headers carry names in any script and refuse (never truncate) a
// run whose description does not fit; a failure's message is cut to fit. An input given in pieces (a batch's
// requests) arrives joined.

import { RESPONSE_BY_MESSAGE, RESPONSE_FAILED, RESPONSE_IN_SLOT, SharedChannel } from '../../src/runtime/shared-channel';
import type { WireTensor } from '../../src/runtime/messages';
import type { OutgoingInput } from '../../src/runtime/transfer';

/** Tensors as the main thread sends them: numeric data in one piece, strings as they are. */
const outgoing = (list: WireTensor[]): OutgoingInput[] =>
  list.map(({ name, type, dims, data }) =>
    Array.isArray(data) ? { name, type, dims, pieces: [], strings: data } : { name, type, dims, pieces: [data], strings: null },
  );

const tensors = (): WireTensor[] => [
  { name: 'a', type: 'float32', dims: [2, 2], data: new Float32Array([1.5, -2, 3, 4]) },
  { name: 'b', type: 'int8', dims: [3], data: new Int8Array([-1, 0, 1]) },
  { name: 'c', type: 'int64', dims: [2], data: new BigInt64Array([-(2n ** 40n), 7n]) },
  { name: 'd', type: 'float16', dims: [1], data: new Uint16Array([0x3c00]) },
  { name: 'e', type: 'float64', dims: [1], data: new Float64Array([Math.PI]) },
];

describe('SharedChannel', () => {
  it('carries a request with tensors of several types, copied out of the shared buffer', async () => {
    const main = SharedChannel.create(4096);
    const worker = new SharedChannel(main.buffer);
    const bell = worker.bell();
    expect(main.sendRequest(1, 7, outgoing(tensors()), ['y', 'z'])).toBe(true);
    expect(worker.bell()).not.toBe(bell);
    expect(worker.requestSeq()).toBe(1);
    const req = worker.readRequest(1);
    expect(req.id).toBe(7);
    expect(req.outputs).toEqual(['y', 'z']);
    expect(req.inputs.map((t) => [t.name, t.type, t.dims, Array.from(t.data as ArrayLike<unknown>)])).toEqual(
      tensors().map((t) => [t.name, t.type, t.dims, Array.from(t.data as ArrayLike<unknown>)]),
    );
    expect(req.inputs.map((t) => (t.data as Float32Array).constructor)).toEqual(tensors().map((t) => (t.data as Float32Array).constructor));
    expect(req.inputs.every((t) => !((t.data as Float32Array).buffer instanceof SharedArrayBuffer))).toBe(true);
  });

  it('carries results and failures back, and says when the answer went by message', async () => {
    const main = SharedChannel.create(4096);
    const worker = new SharedChannel(main.buffer);
    const timings = { receivedNs: 1, inferStartNs: 2, inferEndNs: 3 };
    expect(worker.sendResult(1, [tensors()[0]], timings)).toBe(true);
    expect(await main.responded(1)).toBe(true);
    const ok = main.readResponse(1);
    expect(ok.kind).toBe(RESPONSE_IN_SLOT);
    expect(ok.timings).toEqual(timings);
    expect(Array.from(ok.outputs[0].data as Float32Array)).toEqual([1.5, -2, 3, 4]);
    worker.sendFailure(2, 'bad input');
    expect(await main.responded(2)).toBe(true);
    expect(main.readResponse(2)).toMatchObject({ kind: RESPONSE_FAILED, message: 'bad input' });
    worker.sentByMessage(3);
    expect(await main.responded(3)).toBe(true);
    expect(main.readResponse(3).kind).toBe(RESPONSE_BY_MESSAGE);
  });

  it("joins an input's pieces (a batch's requests) one after another in the slot", () => {
    const main = SharedChannel.create(4096);
    const worker = new SharedChannel(main.buffer);
    const pieces = [new Float32Array([1, 2]), new Float32Array([3, 4, 5, 6]), new Float32Array([7, 8])];
    const joined: OutgoingInput = { name: 'x', type: 'float32', dims: [4, 2], pieces, strings: null };
    const other: OutgoingInput = { name: 'k', type: 'int64', dims: [4], pieces: [new BigInt64Array([1n, 2n]), new BigInt64Array([3n, 4n])], strings: null };
    expect(main.sendRequest(1, 1, [joined, other], ['y'])).toBe(true);
    const req = worker.readRequest(1);
    expect(req.inputs.map((t) => [t.name, t.dims, Array.from(t.data as ArrayLike<unknown>)])).toEqual([
      ['x', [4, 2], [1, 2, 3, 4, 5, 6, 7, 8]],
      ['k', [4], [1n, 2n, 3n, 4n]],
    ]);
    // 1028 bytes of pieces do not fit a 1024-byte slot, though each piece does.
    const big: OutgoingInput = { name: 'x', type: 'float32', dims: [257], pieces: [new Float32Array(128), new Float32Array(129)], strings: null };
    expect(SharedChannel.create(1024).sendRequest(1, 1, [big], [])).toBe(false);
  });

  it('holds the next run in the second slot while the first is answered, each with its own data', async () => {
    const main = SharedChannel.create(64);
    const worker = new SharedChannel(main.buffer);
    const input = (v: number): WireTensor[] => [{ name: 'x', type: 'int32', dims: [2], data: new Int32Array([v, v]) }];
    expect(main.sendRequest(1, 10, outgoing(input(1)), ['y'])).toBe(true);
    expect(main.sendRequest(2, 11, outgoing(input(2)), ['y'])).toBe(true);
    expect(worker.requestSeq()).toBe(2);
    const first = worker.readRequest(1);
    const second = worker.readRequest(2);
    expect([first.id, Array.from(first.inputs[0].data as Int32Array)]).toEqual([10, [1, 1]]);
    expect([second.id, Array.from(second.inputs[0].data as Int32Array)]).toEqual([11, [2, 2]]);
    const timings = { receivedNs: 1, inferStartNs: 2, inferEndNs: 3 };
    const waitingForSecond = main.responded(2);
    worker.sendResult(1, [{ name: 'y', type: 'int32', dims: [1], data: new Int32Array([100]) }], timings);
    expect(await main.responded(1)).toBe(true);
    worker.sendResult(2, [{ name: 'y', type: 'int32', dims: [1], data: new Int32Array([200]) }], timings);
    expect(await waitingForSecond).toBe(true);
    expect(Array.from(main.readResponse(1).outputs[0].data as Int32Array)).toEqual([100]);
    expect(Array.from(main.readResponse(2).outputs[0].data as Int32Array)).toEqual([200]);
    // Run 3 reuses run 1's slot.
    expect(main.sendRequest(3, 12, outgoing(input(3)), ['y'])).toBe(true);
    expect(Array.from(worker.readRequest(3).inputs[0].data as Int32Array)).toEqual([3, 3]);
  });

  it('rings the doorbell and counts the message when one is posted, so a sleeping worker never misses it', () => {
    const main = SharedChannel.create(16);
    const worker = new SharedChannel(main.buffer);
    const bell = worker.bell();
    expect(worker.posted()).toBe(0);
    main.messagePosted();
    expect(worker.posted()).toBe(1);
    expect(worker.requestSeq()).toBe(0);
    // The doorbell moved: waiting on the value read before the post returns at once instead of sleeping.
    const started = process.hrtime.bigint();
    worker.waitBell(bell, 10_000);
    expect(process.hrtime.bigint() - started).toBeLessThan(5_000_000_000n);
    expect(worker.bell()).not.toBe(bell);
  });

  it('refuses string tensors and runs larger than the slot', () => {
    const ch = SharedChannel.create(16);
    expect(ch.sendRequest(1, 1, outgoing([{ name: 's', type: 'string', dims: [1], data: ['x'] }]), [])).toBe(false);
    expect(ch.sendRequest(1, 1, outgoing([{ name: 'a', type: 'float32', dims: [8], data: new Float32Array(8) }]), [])).toBe(false);
    expect(ch.sendRequest(1, 1, outgoing([{ name: 'a', type: 'float32', dims: [4], data: new Float32Array(4) }]), [])).toBe(true);
  });

  it('carries names in any script, and refuses a run whose header does not fit (it then goes by postMessage)', () => {
    const main = SharedChannel.create(64);
    const worker = new SharedChannel(main.buffer);
    const named = (name: string): WireTensor[] => [{ name, type: 'int32', dims: [1, 1], data: new Int32Array([5]) }];
    expect(main.sendRequest(1, 3, outgoing(named('入力·ß')), ['出力', 'y'])).toBe(true);
    const req = worker.readRequest(1);
    expect([req.inputs[0].name, req.inputs[0].dims, req.outputs]).toEqual(['入力·ß', [1, 1], ['出力', 'y']]);
    // 9000 bytes of names: more than a slot's header text holds.
    expect(main.sendRequest(2, 4, outgoing(named('x'.repeat(9000))), ['y'])).toBe(false);
    expect(main.sendRequest(2, 4, outgoing(named('x')), ['y'.repeat(9000)])).toBe(false);
    // 2000 dims: more numbers than a header holds.
    expect(main.sendRequest(2, 4, outgoing([{ name: 'x', type: 'int32', dims: new Array(2000).fill(1), data: new Int32Array([5]) }]), ['y'])).toBe(false);
    expect(worker.requestSeq()).toBe(1);
  });

  it('cuts a failure message that does not fit the header, at a whole character', async () => {
    const main = SharedChannel.create(16);
    const worker = new SharedChannel(main.buffer);
    worker.sendFailure(1, `bad: ${'é'.repeat(10_000)}`);
    expect(await main.responded(1)).toBe(true);
    const { kind, message } = main.readResponse(1);
    expect(kind).toBe(RESPONSE_FAILED);
    expect(message.startsWith('bad: éé')).toBe(true);
    expect(message.length).toBeGreaterThan(1000);
    expect(message.length).toBeLessThan(10_005);
    expect(message.endsWith('é')).toBe(true);
  });

  it('releases a main-thread waiter when woken without an answer (the worker is gone)', async () => {
    const ch = SharedChannel.create(16);
    const waiting = ch.responded(5);
    await new Promise((r) => setImmediate(r));
    ch.wake();
    expect(await waiting).toBe(false);
  });
});

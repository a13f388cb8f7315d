// Pure pieces of the model lifecycle: split.pbtxt parsing, the RepositoryModelLoad `config` override, weighted
// and sticky arm choice, and the response cache's byte-bounded LRU and keys.

import { parseVersionPolicyOverride } from '../../src/config/config-override';
import { parseSplitConfig } from '../../src/config/split-config';
import { ResponseCache, responseCacheKey } from '../../src/dataplane/response-cache';
import type { InferRequest } from '../../src/dataplane/types';
import { stickyPoint, TrafficSplit } from '../../src/repository/traffic-split';
import type { Tensor } from '../../src/tensor/tensor';

describe('split.pbtxt', () => {
  test('arms, weights, optional version and sticky key', () => {
    expect(parseSplitConfig('a/split.pbtxt', 'sticky_key: "user"\narm { model: "m" version: 2 weight: 9.5 }\narm [{ model: "n" weight: 0.5 }]')).toEqual({
      stickyKey: 'user',
      arms: [
        { model: 'm', version: 2, weight: 9.5 },
        { model: 'n', version: 0, weight: 0.5 },
      ],
    });
  });
  test.each([
    ['arm { model: "m" weight: 1 }\nweights: 3', /a\/split\.pbtxt:2:1: unknown field 'weights'/],
    ['arm { model: "m" }', /field 'arm\[0\]\.weight' is required/],
    ['arm { weight: 1 }', /field 'arm\[0\]\.model' is required/],
    ['arm { model: "m" weight: -1 }', /expected a non-negative number/],
    ['arm { model: "m" weight: 0 }', /at least one arm needs a weight above 0/],
    ['sticky_key: "u"', /at least one 'arm/],
    ['arm { model: "m" version: 1.5 weight: 1 }', /arm\[0\]\.version': expected a non-negative integer/],
  ])('refuses %j', (text, message) => {
    expect(() => parseSplitConfig('a/split.pbtxt', text)).toThrow(message);
  });
});

describe('RepositoryModelLoad config override', () => {
  test('each version policy kind, in Triton JSON', () => {
    expect(parseVersionPolicyOverride('{"version_policy":{"specific":{"versions":[1,"3"]}}}')).toEqual({ kind: 'specific', versions: [1, 3] });
    expect(parseVersionPolicyOverride('{"version_policy":{"latest":{"num_versions":2}}}')).toEqual({ kind: 'latest', numVersions: 2 });
    expect(parseVersionPolicyOverride('{"version_policy":{"all":{}}}')).toEqual({ kind: 'all' });
  });
  test.each([
    ['{', /not valid JSON/],
    ['{"max_batch_size": 4}', /may only override version_policy \(got max_batch_size\)/],
    ['{"version_policy":{"specific":{"versions":[]}}}', /non-empty list/],
    ['{"version_policy":{"latest":{"num_versions":0}}}', /num_versions must be an integer >= 1/],
    ['{"version_policy":{"newest":{}}}', /unknown kind 'newest'/],
  ])('refuses %s', (json, message) => {
    expect(() => parseVersionPolicyOverride(json)).toThrow(message);
  });
});

describe('traffic split routing', () => {
  const split = new TrafficSplit('a', parseSplitConfig('s', 'arm { model: "m" version: 1 weight: 3 }\narm { model: "m" version: 2 weight: 1 }'), 'split.pbtxt');
  test('points map to arms by cumulative weight; not-ready arms are skipped', () => {
    expect(split.pick(0, () => true)?.version).toBe(1);
    expect(split.pick(0.74, () => true)?.version).toBe(1);
    expect(split.pick(0.76, () => true)?.version).toBe(2);
    expect(split.pick(0.1, (a) => a.version === 2)?.version).toBe(2);
    expect(split.pick(0.1, () => false)).toBeNull();
  });
  test('sticky points are stable per value and spread over [0, 1)', () => {
    expect(stickyPoint('a', 'u1')).toBe(stickyPoint('a', 'u1'));
    const points = Array.from({ length: 1000 }, (_, i) => stickyPoint('a', `u${i}`));
    expect(points.every((p) => p >= 0 && p < 1)).toBe(true);
    const low = points.filter((p) => p < 0.25).length;
    expect(low).toBeGreaterThan(180);
    expect(low).toBeLessThan(320);
  });
});

describe('response cache', () => {
  const tensor = (name: string, values: number[]): Tensor => ({ name, datatype: 'INT32', shape: [values.length], data: Int32Array.from(values) });
  const req = (values: number[], parameters = {}): InferRequest => ({
    modelName: 'm', modelVersion: '', id: 'x', parameters, inputs: [tensor('IN', values)], outputs: [],
  });
  test('keys depend on load, input bytes, shape, outputs and result-changing parameters only', () => {
    const k = responseCacheKey(1, req([1, 2]), ['OUT']);
    expect(responseCacheKey(1, { ...req([1, 2]), id: 'other' }, ['OUT'])).toBe(k);
    expect(responseCacheKey(1, req([1, 2], { priority: 3 }), ['OUT'])).toBe(k);
    expect(responseCacheKey(1, req([1, 2], { user: 'u' }), ['OUT'], 'user')).toBe(k);
    expect(responseCacheKey(2, req([1, 2]), ['OUT'])).not.toBe(k);
    expect(responseCacheKey(1, req([1, 3]), ['OUT'])).not.toBe(k);
    expect(responseCacheKey(1, req([1, 2]), ['OUT', 'OUT2'])).not.toBe(k);
    expect(responseCacheKey(1, req([1, 2], { scale: 2 }), ['OUT'])).not.toBe(k);
    expect(responseCacheKey(1, { ...req([1, 2]), inputs: [{ ...tensor('IN', [1, 2]), shape: [2, 1] }] }, ['OUT'])).not.toBe(k);
  });
  test('LRU bounded in bytes: the least recently used entries go first; stored outputs are copies', () => {
    const entry = 128 + 400; // key overhead + 100 int32
    const cache = new ResponseCache(3 * entry);
    const out = (v: number) => [tensor('OUT', Array(100).fill(v))];
    const original = out(1);
    cache.insert('a', original);
    (original[0].data as Int32Array)[0] = 99;
    expect((cache.lookup('a')?.[0].data as Int32Array)[0]).toBe(1);
    cache.insert('b', out(2));
    cache.insert('c', out(3));
    cache.lookup('a');
    cache.insert('d', out(4));
    expect(cache.lookup('b')).toBeNull();
    expect(cache.lookup('a')).not.toBeNull();
    expect(cache.size).toBe(3);
    expect(cache.bytes).toBe(3 * entry);
    cache.insert('huge', [tensor('OUT', Array(2000).fill(0))]);
    expect(cache.lookup('huge')).toBeNull();
  });
});

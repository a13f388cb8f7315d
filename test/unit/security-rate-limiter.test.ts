// Token-bucket arithmetic with a fake clock: burst, refill, the retry hint, oversize requests, per-key buckets.

import { RateLimiter, TokenBucket } from '../../src/security/rate-limiter';

test('a bucket allows its burst, then says how long until the next token', () => {
  const b = new TokenBucket(2, 3, 0);
  expect([b.take(1, 0), b.take(1, 0), b.take(1, 0)]).toEqual([0, 0, 0]);
  expect(b.take(1, 0)).toBe(500);
  expect(b.take(1, 250)).toBe(250);
  expect(b.take(1, 500)).toBe(0);
  expect(b.take(1, 500)).toBe(500);
});

test('refill never goes above the burst', () => {
  const b = new TokenBucket(10, 2, 0);
  expect(b.take(2, 0)).toBe(0);
  expect(b.isFull(10_000)).toBe(true);
  expect([b.take(1, 10_000), b.take(1, 10_000), b.take(1, 10_000)]).toEqual([0, 0, 100]);
});

test('a request larger than the burst waits for a full bucket, then passes (no starvation)', () => {
  const b = new TokenBucket(100, 100, 0);
  expect(b.take(60, 0)).toBe(0);
  expect(b.take(500, 0)).toBe(600); // 60 of 100 missing at 100/s
  expect(b.take(500, 600)).toBe(0);
  expect(b.take(1, 600)).toBe(4010); // now 400 in debt
});

test('limiter keeps one bucket per principal and reports which limit ran out', () => {
  let now = 0;
  const limiter = new RateLimiter({ requestsPerSecond: 1, requestBurst: 1, inputBytesPerSecond: 1000, inputBytesBurst: 0 }, () => now);
  expect(limiter.takeRequest('a')).toEqual({ retryAfterMs: 0, limit: '' });
  expect(limiter.takeRequest('a')).toEqual({ retryAfterMs: 1000, limit: '1 requests/s' });
  expect(limiter.takeRequest('b').retryAfterMs).toBe(0);
  expect(limiter.takeInputBytes('a', 1000).retryAfterMs).toBe(0);
  expect(limiter.takeInputBytes('a', 10)).toEqual({ retryAfterMs: 10, limit: '1000 input bytes/s' });
  now = 1000;
  expect(limiter.takeRequest('a').retryAfterMs).toBe(0);
});

test('zero rates are unlimited', () => {
  const limiter = new RateLimiter({ requestsPerSecond: 0, requestBurst: 0, inputBytesPerSecond: 0, inputBytesBurst: 0 }, () => 0);
  for (let i = 0; i < 1000; i++) expect(limiter.takeRequest('a').retryAfterMs).toBe(0);
  expect(limiter.takeInputBytes('a', 2 ** 40).retryAfterMs).toBe(0);
});

test('a limiter says whether it limits anything (the interceptor skips working out a key when not)', () => {
  const off = { requestsPerSecond: 0, requestBurst: 0, inputBytesPerSecond: 0, inputBytesBurst: 0 };
  expect(new RateLimiter(off).limits).toBe(false);
  expect(new RateLimiter({ ...off, requestsPerSecond: 5 }).limits).toBe(true);
  expect(new RateLimiter({ ...off, inputBytesPerSecond: 1024 }).limits).toBe(true);
});

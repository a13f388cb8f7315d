// Token-bucket rate limits per principal: one bucket for requests and one for input bytes. A bucket holds up to
// `burst` tokens and refills at `perSecond`; a call that finds too few tokens is refused with the time until it
// would fit. Buckets of callers idle long enough to be full again are dropped, so memory follows active callers.

export interface RateLimitSettings {
  /** Requests per second per principal; 0 = unlimited. */
  requestsPerSecond: number;
  /** Largest burst of requests; 0 = one second's worth. */
  requestBurst: number;
  /** Input tensor bytes per second per principal; 0 = unlimited. */
  inputBytesPerSecond: number;
  /** Largest burst of input bytes; 0 = one second's worth. */
  inputBytesBurst: number;
}

export const NO_RATE_LIMITS: RateLimitSettings = {
  requestsPerSecond: 0,
  requestBurst: 0,
  inputBytesPerSecond: 0,
  inputBytesBurst: 0,
};

export class TokenBucket {
  private tokens: number;
  private updatedMs: number;

  constructor(
    readonly perSecond: number,
    readonly burst: number,
    nowMs: number,
  ) {
    this.tokens = burst;
    this.updatedMs = nowMs;
  }

  /** Takes `n` tokens and returns 0, or takes nothing and returns the ms until `n` tokens will be there. */
  take(n: number, nowMs: number): number {
    this.refill(nowMs);
    if (n <= this.tokens) {
      this.tokens -= n;
      return 0;
    }
    // A request larger than the whole bucket waits for a full bucket, then goes through (never starves).
    const need = Math.min(n, this.burst) - this.tokens;
    if (need <= 0) {
      this.tokens -= n;
      return 0;
    }
    return Math.ceil((need / this.perSecond) * 1000);
  }

  isFull(nowMs: number): boolean {
    this.refill(nowMs);
    return this.tokens >= this.burst;
  }

  private refill(nowMs: number): void {
    const elapsed = Math.max(0, nowMs - this.updatedMs);
    this.tokens = Math.min(this.burst, this.tokens + (elapsed * this.perSecond) / 1000);
    this.updatedMs = nowMs;
  }
}

export interface RateDecision {
  /** ms until the call would be allowed; 0 = allowed now. */
  retryAfterMs: number;
  /** What ran out, for the message: "5 requests/s" or "1048576 input bytes/s". */
  limit: string;
}

const ALLOWED: RateDecision = { retryAfterMs: 0, limit: '' };

export class RateLimiter {
  private readonly requests = new Map<string, TokenBucket>();
  private readonly bytes = new Map<string, TokenBucket>();
  private sweptMs = 0;

  constructor(
    private readonly settings: RateLimitSettings,
    private readonly now: () => number = () => performance.now(),
  ) {}

  /** Whether any limit is set (when not, callers may skip working out who a call counts against). */
  get limits(): boolean {
    return this.settings.requestsPerSecond > 0 || this.settings.inputBytesPerSecond > 0;
  }

  takeRequest(principal: string): RateDecision {
    const { requestsPerSecond: rate, requestBurst } = this.settings;
    if (rate <= 0) return ALLOWED;
    const wait = this.bucket(this.requests, principal, rate, requestBurst || rate).take(1, this.now());
    return wait === 0 ? ALLOWED : { retryAfterMs: wait, limit: `${rate} requests/s` };
  }

  takeInputBytes(principal: string, n: number): RateDecision {
    const { inputBytesPerSecond: rate, inputBytesBurst } = this.settings;
    if (rate <= 0 || n === 0) return ALLOWED;
    const wait = this.bucket(this.bytes, principal, rate, inputBytesBurst || rate).take(n, this.now());
    return wait === 0 ? ALLOWED : { retryAfterMs: wait, limit: `${rate} input bytes/s` };
  }

  private bucket(map: Map<string, TokenBucket>, key: string, rate: number, burst: number): TokenBucket {
    const now = this.now();
    if (now - this.sweptMs > 60_000) this.sweep(now);
    let b = map.get(key);
    if (!b) {
      b = new TokenBucket(rate, burst, now);
      map.set(key, b);
    }
    return b;
  }

  private sweep(now: number): void {
    this.sweptMs = now;
    for (const map of [this.requests, this.bytes]) {
      for (const [key, b] of map) if (b.isFull(now)) map.delete(key);
    }
  }
}

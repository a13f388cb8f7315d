// The scheduler's sense of time: a monotonic nanosecond clock and one-shot timers. The system clock uses
// process.hrtime and setTimeout (whose resolution is about 1 ms); unit tests drive the scheduler with a fake one.

export interface Clock {
  nowNs(): number;
  /** Calls `fn` once at or after `atNs`; the returned function cancels it. */
  setTimer(atNs: number, fn: () => void): () => void;
}

export const systemClock: Clock = {
  nowNs: () => Number(process.hrtime.bigint()),
  setTimer(atNs, fn) {
    const delayMs = Math.max(0, Math.ceil((atNs - systemClock.nowNs()) / 1e6));
    const timer = setTimeout(fn, delayMs);
    return () => clearTimeout(timer);
  },
};

// The scheduler's sense of time: a monotonic nanosecond clock, one-shot timers, and "later in this event-loop
// turn" (defer). The system clock uses process.hrtime, setTimeout (whose resolution is about 1 ms) and
// setImmediate (after the poll phase, so every request read from the sockets in this turn is queued by then);
// unit tests drive the scheduler with a fake one.

export interface Clock {
  nowNs(): number;
  /** Calls `fn` once at or after `atNs`; the returned function cancels it. */
  setTimer(atNs: number, fn: () => void): () => void;
  /** Calls `fn` once the I/O callbacks of the current event-loop turn have run. */
  defer(fn: () => void): void;
}

export const systemClock: Clock = {
  nowNs: () => Number(process.hrtime.bigint()),
  setTimer(atNs, fn) {
    const delayMs = Math.max(0, Math.ceil((atNs - systemClock.nowNs()) / 1e6));
    const timer = setTimeout(fn, delayMs);
    return () => clearTimeout(timer);
  },
  defer(fn) {
    setImmediate(fn);
  },
};

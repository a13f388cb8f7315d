// Latency percentiles over a sample of microsecond timings.

export interface Percentiles {
  p50: number;
  p90: number;
  p99: number;
  mean: number;
}

export function percentiles(samplesUs: number[]): Percentiles {
  const s = [...samplesUs].sort((a, b) => a - b);
  const at = (q: number): number => s[Math.min(s.length - 1, Math.floor(q * s.length))];
  return { p50: at(0.5), p90: at(0.9), p99: at(0.99), mean: s.reduce((a, b) => a + b, 0) / s.length };
}

export const nowUs = (): number => Number(process.hrtime.bigint()) / 1000;

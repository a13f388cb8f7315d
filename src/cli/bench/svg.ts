// Draws the `inferd bench` plot as a self-contained SVG: throughput (inferences/s, left axis, solid) and p99
// latency (ms, right axis, dashed) against concurrency (log2 x axis), one point per measured level.

export interface PlotPoint {
  concurrency: number;
  throughput: number;
  p99Ms: number;
}

const W = 720;
const H = 420;
const M = { left: 70, right: 70, top: 50, bottom: 55 };

const esc = (s: string): string => s.replace(/[<>&"]/g, (c) => `&#${c.charCodeAt(0)};`);

function niceMax(v: number): number {
  if (v <= 0) return 1;
  const p = 10 ** Math.floor(Math.log10(v));
  for (const m of [1, 2, 2.5, 5, 10]) if (m * p >= v) return m * p;
  return 10 * p;
}

const fmt = (v: number): string => (v >= 1000 ? `${(v / 1000).toFixed(v >= 10_000 ? 0 : 1)}k` : v >= 10 ? v.toFixed(0) : v.toFixed(1));

export function benchSvg(title: string, points: PlotPoint[]): string {
  const pw = W - M.left - M.right;
  const ph = H - M.top - M.bottom;
  const xs = points.map((p) => Math.log2(Math.max(1, p.concurrency)));
  const xMin = Math.min(...xs);
  const xMax = Math.max(...xs, xMin + 1);
  const tMax = niceMax(Math.max(...points.map((p) => p.throughput)));
  const lMax = niceMax(Math.max(...points.map((p) => p.p99Ms)));
  const x = (c: number): number => M.left + ((Math.log2(Math.max(1, c)) - xMin) / (xMax - xMin)) * pw;
  const yT = (v: number): number => M.top + ph - (v / tMax) * ph;
  const yL = (v: number): number => M.top + ph - (v / lMax) * ph;
  const out: string[] = [];
  out.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif" font-size="12">`);
  out.push(`<rect width="${W}" height="${H}" fill="white"/>`);
  out.push(`<text x="${W / 2}" y="24" text-anchor="middle" font-size="15">${esc(title)}</text>`);
  for (let i = 0; i <= 5; i++) {
    const y = M.top + (ph * i) / 5;
    out.push(`<line x1="${M.left}" x2="${M.left + pw}" y1="${y}" y2="${y}" stroke="#e5e5e5"/>`);
    out.push(`<text x="${M.left - 8}" y="${y + 4}" text-anchor="end" fill="#1f5fbf">${fmt(tMax * (1 - i / 5))}</text>`);
    out.push(`<text x="${M.left + pw + 8}" y="${y + 4}" fill="#c0392b">${fmt(lMax * (1 - i / 5))}</text>`);
  }
  for (const p of points) {
    out.push(`<line x1="${x(p.concurrency)}" x2="${x(p.concurrency)}" y1="${M.top + ph}" y2="${M.top + ph + 5}" stroke="#333"/>`);
    out.push(`<text x="${x(p.concurrency)}" y="${M.top + ph + 18}" text-anchor="middle">${p.concurrency}</text>`);
  }
  out.push(`<rect x="${M.left}" y="${M.top}" width="${pw}" height="${ph}" fill="none" stroke="#333"/>`);
  out.push(`<text x="${M.left + pw / 2}" y="${H - 12}" text-anchor="middle">concurrency (requests in flight)</text>`);
  out.push(`<text transform="translate(18 ${M.top + ph / 2}) rotate(-90)" text-anchor="middle" fill="#1f5fbf">throughput (inferences/s)</text>`);
  out.push(`<text transform="translate(${W - 14} ${M.top + ph / 2}) rotate(90)" text-anchor="middle" fill="#c0392b">p99 latency (ms)</text>`);
  const line = (y: (p: PlotPoint) => number): string => points.map((p, i) => `${i === 0 ? 'M' : 'L'}${x(p.concurrency).toFixed(1)},${y(p).toFixed(1)}`).join(' ');
  out.push(`<path d="${line((p) => yT(p.throughput))}" fill="none" stroke="#1f5fbf" stroke-width="2"/>`);
  out.push(`<path d="${line((p) => yL(p.p99Ms))}" fill="none" stroke="#c0392b" stroke-width="2" stroke-dasharray="6 4"/>`);
  for (const p of points) {
    out.push(`<circle cx="${x(p.concurrency).toFixed(1)}" cy="${yT(p.throughput).toFixed(1)}" r="3.5" fill="#1f5fbf"><title>${p.concurrency}: ${p.throughput.toFixed(0)} infer/s</title></circle>`);
    out.push(`<circle cx="${x(p.concurrency).toFixed(1)}" cy="${yL(p.p99Ms).toFixed(1)}" r="3.5" fill="#c0392b"><title>${p.concurrency}: p99 ${p.p99Ms.toFixed(2)} ms</title></circle>`);
  }
  out.push(`<g transform="translate(${M.left + 10} ${M.top + 14})"><line x1="0" x2="22" y1="0" y2="0" stroke="#1f5fbf" stroke-width="2"/><text x="28" y="4">throughput</text>`);
  out.push(`<line x1="110" x2="132" y1="0" y2="0" stroke="#c0392b" stroke-width="2" stroke-dasharray="6 4"/><text x="138" y="4">p99 latency</text></g>`);
  out.push('</svg>');
  return out.join('\n') + '\n';
}

// Scrapes a Prometheus text endpoint and reads samples out of it (name + exact label set → value).

import * as http from 'node:http';

export interface Scrape {
  status: number;
  contentType: string;
  text: string;
  /** Value of the sample with exactly these labels; undefined when absent. */
  value(name: string, labels?: Record<string, string>): number | undefined;
  /** Every sample of a metric name. */
  samples(name: string): Array<{ labels: Record<string, string>; value: number }>;
}

export function scrape(port: number, path = '/metrics'): Promise<Scrape> {
  return new Promise((resolve, reject) => {
    http
      .get({ host: '127.0.0.1', port, path }, (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (text += c));
        res.on('end', () => {
          try {
            resolve(parse(res.statusCode ?? 0, String(res.headers['content-type']), text));
          } catch (err) {
            reject(err as Error);
          }
        });
      })
      .on('error', reject);
  });
}

function parse(status: number, contentType: string, text: string): Scrape {
  const rows: Array<{ name: string; labels: Record<string, string>; value: number }> = [];
  for (const line of status === 200 ? text.split('\n') : []) {
    if (line === '' || line.startsWith('#')) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!m) throw new Error(`not a Prometheus sample line: ${line}`);
    const labels: Record<string, string> = {};
    for (const l of (m[2] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) labels[l[1]] = l[2];
    rows.push({ name: m[1], labels, value: m[3] === '+Inf' ? Infinity : Number(m[3]) });
  }
  const same = (a: Record<string, string>, b: Record<string, string>): boolean =>
    Object.keys(a).length === Object.keys(b).length && Object.entries(b).every(([k, v]) => a[k] === v);
  return {
    status,
    contentType,
    text,
    value: (name, labels = {}) => rows.find((r) => r.name === name && same(r.labels, labels))?.value,
    samples: (name) => rows.filter((r) => r.name === name).map(({ labels, value }) => ({ labels, value })),
  };
}

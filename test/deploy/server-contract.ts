// What the deployment files may rely on, read from the server's source and CLI: the `inferd serve` flags (from
// --help), the metric names registered in src/, and the flags and metrics that land with other issues. A name the
// chart uses from another issue is excused only while that issue's feature is absent from the source; once any of
// it is merged (its `landed` test), every name listed for it must match the source exactly.

import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { serveHelp, type CliFlag } from '../support/cli-help';
import { REPO_ROOT } from '../support/server';

export interface SourceFacts {
  flags: Map<string, CliFlag>;
  /** Text of every src/ file, joined. */
  source: string;
}

export interface AwaitedFeature {
  issue: number;
  what: string;
  flags: string[];
  /** Choices of an existing flag this feature adds. */
  choices?: Array<{ flag: string; choice: string }>;
  metrics: string[];
  /** Strings the feature's source must contain (quoted literals). */
  literals: string[];
  landed(facts: SourceFacts): boolean;
}

const flagMatching = (facts: SourceFacts, re: RegExp): boolean => [...facts.flags.keys()].some((f) => re.test(f));

export const AWAITED: AwaitedFeature[] = [
  {
    issue: 5,
    what: 'observability: Prometheus /metrics on --metrics-port',
    flags: ['--metrics-port'],
    metrics: ['nv_inference_queue_duration_us', 'nv_inference_request_success'],
    literals: ['/metrics'],
    landed: (facts) => /['"]prom-client['"]/.test(facts.source) || flagMatching(facts, /metrics/),
  },
  {
    issue: 6,
    what: 'lifecycle: graceful drain and poll mode',
    flags: ['--exit-timeout-secs', '--drain-grace-secs', '--repository-poll-secs'],
    choices: [{ flag: '--model-control-mode', choice: 'poll' }],
    metrics: [],
    literals: [],
    landed: (facts) =>
      flagMatching(facts, /^--(exit|shutdown|repository-poll)|drain/) || (facts.flags.get('--model-control-mode')?.choices ?? []).includes('poll'),
  },
  {
    issue: 7,
    what: 'security: bearer-token principals file',
    flags: ['--auth-principals-file'],
    metrics: [],
    literals: [],
    landed: (facts) => flagMatching(facts, /auth|tls|token|principal/),
  },
];

let cached: Promise<SourceFacts> | undefined;

export function sourceFacts(): Promise<SourceFacts> {
  cached ??= (async () => {
    const texts: string[] = [];
    const walk = async (dir: string): Promise<void> => {
      for (const entry of await fs.readdir(dir, { withFileTypes: true })) {
        const p = path.join(dir, entry.name);
        if (entry.isDirectory()) await walk(p);
        else if (p.endsWith('.ts')) texts.push(await fs.readFile(p, 'utf8'));
      }
    };
    await walk(path.join(REPO_ROOT, 'src'));
    return { flags: await serveHelp(), source: texts.join('\n') };
  })();
  return cached;
}

/** True when `name` appears in src/ as a quoted string literal (how prom-client metric names are given). */
export function hasLiteral(facts: SourceFacts, name: string): boolean {
  return new RegExp(`['"\`]${name.replace(/[/.*+?^${}()|[\]\\]/g, '\\$&')}['"\`]`).test(facts.source);
}

/** The feature that excuses a missing flag / metric / literal, if it has not landed yet. */
export function excusedBy(facts: SourceFacts, kind: 'flags' | 'metrics' | 'literals', name: string): AwaitedFeature | undefined {
  return AWAITED.find((f) => f[kind].includes(name) && !f.landed(facts));
}

/** Fails with a message for each flag that is neither served by the CLI nor awaited from an unmerged issue. */
export function unknownFlags(facts: SourceFacts, flags: string[]): string[] {
  return flags.filter((f) => !facts.flags.has(f) && !excusedBy(facts, 'flags', f));
}

export function unknownMetrics(facts: SourceFacts, metrics: string[]): string[] {
  return metrics.filter((m) => !hasLiteral(facts, m) && !excusedBy(facts, 'metrics', m));
}

/** Awaited names still missing from this source (reported, so the lead sees them at merge). */
export function pendingNames(facts: SourceFacts): string[] {
  return AWAITED.filter((f) => !f.landed(facts)).map(
    (f) => `issue ${f.issue} (${f.what}): ${[...f.flags, ...(f.choices ?? []).map((c) => `${c.flag} ${c.choice}`), ...f.metrics, ...f.literals].join(', ')}`,
  );
}

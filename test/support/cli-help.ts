// The real `inferd serve` flags, read from `node dist/src/cli/main.js serve --help` (so deployment files are
// checked against the CLI as built, not against a copied list): flag → default, environment variable, choices.

import { execFile } from 'node:child_process';
import * as path from 'node:path';
import { REPO_ROOT } from './server';

export interface CliFlag {
  flag: string;
  /** As commander prints it: parsed JSON, or the raw text of a described default. */
  default?: unknown;
  env?: string;
  choices?: string[];
}

let cached: Promise<Map<string, CliFlag>> | undefined;

export function serveHelp(): Promise<Map<string, CliFlag>> {
  cached ??= new Promise((resolve, reject) =>
    execFile(
      process.execPath,
      [path.join(REPO_ROOT, 'dist/src/cli/main.js'), 'serve', '--help'],
      { env: { ...process.env, COLUMNS: '1000' } },
      (err, stdout) => (err ? reject(err) : resolve(parseHelp(stdout))),
    ),
  );
  return cached;
}

export function parseHelp(help: string): Map<string, CliFlag> {
  // Join wrapped description lines onto their option line.
  const entries: string[] = [];
  for (const line of help.split('\n')) {
    if (/^\s{2}-/.test(line)) entries.push(line.trim());
    else if (/^\s{6,}\S/.test(line) && entries.length > 0) entries[entries.length - 1] += ` ${line.trim()}`;
  }
  const flags = new Map<string, CliFlag>();
  for (const entry of entries) {
    const flag = /--[a-z0-9-]+/.exec(entry)?.[0];
    if (!flag) continue;
    const info: CliFlag = { flag };
    const tail = /\(([^()]*)\)\s*$/.exec(entry)?.[1] ?? '';
    for (const part of tail.split(/,\s*(?=(?:default|env|choices|preset):)/)) {
      const [key, ...rest] = part.split(':');
      const value = rest.join(':').trim();
      if (key === 'default') info.default = parseValue(value);
      if (key === 'env') info.env = value;
      if (key === 'choices') info.choices = value.split(/,\s*/).map((c) => JSON.parse(c) as string);
    }
    flags.set(flag, info);
  }
  return flags;
}

/** Commander prints defaults as JSON unless the option gives its own description of the default. */
function parseValue(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

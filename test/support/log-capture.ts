// A pino logger whose JSON lines are kept in memory, for tests that assert what the server logs.

import { Writable } from 'node:stream';
import pino from 'pino';
import type { Logger } from '../../src/telemetry/logger';

export interface CapturedLogs {
  log: Logger;
  lines: Array<Record<string, unknown>>;
  /** Lines whose msg is `msg`. */
  find(msg: string): Array<Record<string, unknown>>;
}

export function captureLogs(level = 'debug'): CapturedLogs {
  const lines: Array<Record<string, unknown>> = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      for (const line of chunk.toString().split('\n')) if (line) lines.push(JSON.parse(line) as Record<string, unknown>);
      done();
    },
  });
  return { log: pino({ name: 'inferd', level }, sink), lines, find: (msg) => lines.filter((l) => l.msg === msg) };
}


// The process logger (pino): JSON lines, or human-readable lines (pino-pretty) with --log-format pretty. The server
// builds one from its settings; parts take a child logger. Request-scoped lines carry trace_id / span_id.

import pino, { type Logger } from 'pino';
import pinoPretty from 'pino-pretty';

export type { Logger };

export interface LoggerOptions {
  level: string;
  format?: 'json' | 'pretty';
  /** Where lines go (default stdout). */
  destination?: pino.DestinationStream;
}

export function createLogger(options: LoggerOptions): Logger {
  const pinoOptions = { name: 'inferd', level: options.level, base: { pid: process.pid } };
  if (options.format === 'pretty') {
    return pino(pinoOptions, pinoPretty({ sync: true, destination: options.destination ?? 1 }));
  }
  return options.destination ? pino(pinoOptions, options.destination) : pino(pinoOptions);
}

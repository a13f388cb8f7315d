// The process logger (pino, JSON lines). The server builds one from its settings; parts take a child logger.

import pino, { type Logger } from 'pino';

export type { Logger };

export interface LoggerOptions {
  level: string;
}

export function createLogger(options: LoggerOptions): Logger {
  return pino({ name: 'inferd', level: options.level, base: { pid: process.pid } });
}

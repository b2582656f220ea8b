import { pino, type Logger } from 'pino';
import type { Config } from './config/index.js';

export type { Logger } from 'pino';

/** The process logger: JSON lines to stdout, with the role name on every line. */
export function createLogger(config: Pick<Config, 'log'>, role: string): Logger {
  return pino({
    level: config.log.level,
    base: { role },
    // Secrets never reach the logs, whichever object carries them.
    redact: {
      paths: ['req.headers.authorization', 'req.headers.cookie', '*.password', '*.token'],
      censor: '[redacted]',
    },
  });
}

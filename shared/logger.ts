import { pino, type Level, type Logger } from 'pino';
import { AdminLogSink } from './admin-log.js';
import type { Config } from './config/index.js';
import { REDACTED, redactSecrets } from './log-redaction.js';

export type { Logger } from 'pino';

const sinks = new WeakMap<Logger, AdminLogSink>();

/** The admin log sink of a logger made by createLogger (null when the admin log is off). */
export function adminSinkOf(logger: Logger): AdminLogSink | null {
  return sinks.get(logger) ?? null;
}

/**
 * The process logger: JSON lines to stdout at `log.level`, with the role name on every line, and,
 * when `log.admin.enabled` (tools without Redis leave `admin` out), the same lines at `log.admin.level` and above to the admin
 * log in Redis (attached once Redis is connected: shared/runtime.ts).
 */
export function createLogger(
  config: { log: Omit<Config['log'], 'admin'> & Partial<Pick<Config['log'], 'admin'>> },
  role: string,
): Logger {
  const options: pino.LoggerOptions = {
    base: { role },
    // Secrets never reach the logs, whichever object carries them (shared/log-redaction.ts):
    // fields by name at any depth of what is logged, and, after serializers ran, their headers.
    formatters: { log: (object) => redactSecrets(object) as Record<string, unknown> },
    redact: {
      paths: [
        'req.headers.authorization',
        'req.headers.cookie',
        'res.headers["set-cookie"]',
        '*.password',
        '*.token',
      ],
      censor: REDACTED,
    },
  };
  const admin = config.log.admin;
  if (!admin?.enabled) return pino({ ...options, level: config.log.level });
  const sink = new AdminLogSink();
  const stdoutLevel = config.log.level;
  const adminLevel: Level = admin.level;
  const levelValue = (l: string) => (l === 'silent' ? Infinity : (pino.levels.values[l] ?? Infinity));
  const streams: pino.StreamEntry[] = [{ level: adminLevel, stream: sink }];
  if (stdoutLevel !== 'silent') streams.push({ level: stdoutLevel, stream: process.stdout });
  // The logger's own level is the lower of the two: each stream then keeps what it wants.
  const level = levelValue(stdoutLevel) < levelValue(adminLevel) ? stdoutLevel : adminLevel;
  const logger = pino({ ...options, level }, pino.multistream(streams));
  sinks.set(logger, sink);
  return logger;
}

import { Writable } from 'node:stream';
import { pino, type Logger, type LoggerOptions } from 'pino';

/** A real pino logger whose lines are parsed into `lines` as they are written. */
export function captureLog<Line = Record<string, unknown>>(
  options: LoggerOptions = { level: 'warn' },
): { logger: Logger; lines: Line[] } {
  const lines: Line[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(JSON.parse(chunk.toString('utf8')) as Line);
      done();
    },
  });
  return { logger: pino(options, sink), lines };
}

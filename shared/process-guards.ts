import { adminSinkOf, type Logger } from './logger.js';
import type { Metrics } from './metrics/metrics.js';

/**
 * What a process does with an error nothing caught (README, Decisions: "Errors nothing caught").
 *
 * - An unhandled promise rejection is a bug in one task (a request, a handler, a timer): nothing
 *   synchronous was left half-done by it, since the code that rejected had already returned. It is
 *   logged at error level with its stack (secrets redacted, as every log line), counted in
 *   plexichat_unhandled_rejections_total, and the process keeps serving: ending it would drop every
 *   connection it holds for one task's fault, and a client able to trigger the bug again could
 *   knock processes over one after another.
 * - An uncaught exception unwound the stack through code that may have been half-way through
 *   updating its state (a registry, a counter, a socket's buffers): serving on from that state is
 *   not safe. It is logged at fatal level, the logs are flushed (stdout, and the admin log in
 *   Redis, for at most FLUSH_TIMEOUT_MS), and the process exits with UNCAUGHT_EXCEPTION_EXIT_CODE
 *   without running its shutdown: closers would run on the same suspect state. Its supervisor
 *   (`npm start`'s, or docker's `restart: unless-stopped`) starts it again; clients reconnect and
 *   resume, and jobs it held are retried when their locks expire.
 */

/** Exit code after an uncaught exception (sysexits' EX_SOFTWARE: an internal software error). */
export const UNCAUGHT_EXCEPTION_EXIT_CODE = 70;

/** Longest wait for the fatal line to be written before the process exits anyway. */
const FLUSH_TIMEOUT_MS = 2000;

/**
 * Unhandled rejections logged per minute at most: each one is counted, but a client that can
 * trigger one at will must not be able to fill the disk through the log. The next line logged
 * says how many were left out.
 */
const REJECTIONS_LOGGED_PER_MINUTE = 20;

interface Guarded {
  logger: Logger;
  metrics: Metrics | null;
}

/**
 * Which of a stream of lines is logged: at most `perWindow` each `windowMs`, the window starting
 * with the first line after the last one ended; a line logged after some were left out learns
 * how many.
 */
export class LogBudget {
  private windowStart = -Infinity;
  private loggedInWindow = 0;
  private leftOut = 0;

  constructor(
    private readonly perWindow: number,
    private readonly windowMs = 60_000,
  ) {}

  /** At time `now` (ms): null to leave this line out, else how many were left out before it. */
  take(now: number): number | null {
    if (now - this.windowStart >= this.windowMs) {
      this.windowStart = now;
      this.loggedInWindow = 0;
    }
    if (this.loggedInWindow >= this.perWindow) {
      this.leftOut += 1;
      return null;
    }
    this.loggedInWindow += 1;
    const leftOut = this.leftOut;
    this.leftOut = 0;
    return leftOut;
  }
}

let guarded: Guarded | null = null;
let exiting = false;
const rejectionBudget = new LogBudget(REJECTIONS_LOGGED_PER_MINUTE);

/**
 * Installs the process's handlers for unhandled rejections and uncaught exceptions (once; a later
 * call replaces the logger and metrics they use: an entry guards itself as soon as it has a
 * logger, and counts into its runtime's metrics once it has one).
 */
export function guardProcess(logger: Logger, metrics: Metrics | null = null): void {
  const first = guarded === null;
  guarded = { logger, metrics };
  if (!first) return;
  process.on('unhandledRejection', onUnhandledRejection);
  process.on('uncaughtException', onUncaughtException);
}

function onUnhandledRejection(reason: unknown): void {
  if (!guarded) return;
  guarded.metrics?.unhandledRejections.inc();
  const leftOut = rejectionBudget.take(Date.now());
  if (leftOut === null) return;
  guarded.logger.error(
    { err: reason, ...(leftOut > 0 ? { not_logged_before: leftOut } : {}) },
    'unhandled promise rejection (a bug): the process keeps serving',
  );
}

function onUncaughtException(err: Error, origin: NodeJS.UncaughtExceptionOrigin): void {
  // Set first: should anything below fail, Node still exits with this code.
  process.exitCode = UNCAUGHT_EXCEPTION_EXIT_CODE;
  // Another one while the first is being flushed: the process is on its way out already.
  if (exiting) return;
  exiting = true;
  const logger = guarded?.logger;
  if (!logger) process.exit(UNCAUGHT_EXCEPTION_EXIT_CODE);
  logger.fatal({ err, origin }, 'uncaught exception: exiting, to be restarted by the supervisor');
  const exit = (): never => process.exit(UNCAUGHT_EXCEPTION_EXIT_CODE);
  // Not unref'd: this timer is what ends the process if a flush never answers.
  setTimeout(exit, FLUSH_TIMEOUT_MS);
  void flushLogs(logger).finally(exit);
}

/** Resolves once the logger's lines are written out (stdout, and the admin log if it has one). */
function flushLogs(logger: Logger): Promise<void> {
  const stdout = new Promise<void>((resolve) => logger.flush(() => resolve()));
  return Promise.all([stdout, adminSinkOf(logger)?.drain()]).then(
    () => undefined,
    () => undefined,
  );
}

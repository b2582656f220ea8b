import type { Logger } from './logger.js';

type Closer = { name: string; close: () => Promise<void> | void };

/**
 * How long one closer may take before shutdown logs it by name and goes on with the rest (ms):
 * within exitOnSignals' 15 s, so the database and Redis still close after a stuck one, and the
 * log says which one it was.
 */
export const CLOSER_TIMEOUT_MS = 10_000;

/**
 * Ordered shutdown: things are closed in the reverse order they were opened, so a worker stops
 * taking jobs before its Redis connection goes away.
 */
export class Lifecycle {
  private readonly closers: Closer[] = [];
  private closing: Promise<void> | null = null;

  constructor(
    private readonly logger: Logger,
    private readonly closerTimeoutMs = CLOSER_TIMEOUT_MS,
  ) {}

  /** Registers something to close on shutdown. */
  add(name: string, close: () => Promise<void> | void): void {
    this.closers.push({ name, close });
  }

  /**
   * Closes everything once, newest first; errors are logged and do not stop the rest, nor does a
   * closer that takes longer than the closer timeout (logged by name, left to finish on its own).
   */
  close(): Promise<void> {
    this.closing ??= (async () => {
      for (const closer of [...this.closers].reverse()) {
        let timer: NodeJS.Timeout | undefined;
        const stuck = new Promise<'stuck'>((resolve) => {
          timer = setTimeout(() => resolve('stuck'), this.closerTimeoutMs);
        });
        try {
          const outcome = await Promise.race([Promise.resolve().then(() => closer.close()), stuck]);
          if (outcome === 'stuck') {
            this.logger.error(
              { what: closer.name, timeout_ms: this.closerTimeoutMs },
              'closing timed out: going on without it',
            );
          }
        } catch (err) {
          this.logger.error({ err, what: closer.name }, 'error while closing');
        } finally {
          clearTimeout(timer);
        }
      }
    })();
    return this.closing;
  }

  /** Closes on SIGTERM/SIGINT, then exits; a second signal or a stuck close exits at once. */
  exitOnSignals(timeoutMs = 15000): void {
    const handler = (signal: NodeJS.Signals): void => {
      if (this.closing) process.exit(1);
      this.logger.info({ signal }, 'shutting down');
      const timer = setTimeout(() => {
        this.logger.error('shutdown timed out');
        process.exit(1);
      }, timeoutMs);
      timer.unref();
      void this.close().then(() => process.exit(0));
    };
    process.once('SIGTERM', handler);
    process.once('SIGINT', handler);
  }
}

import type { Logger } from './logger.js';

type Closer = { name: string; close: () => Promise<void> | void };

/**
 * Ordered shutdown: things are closed in the reverse order they were opened, so a worker stops
 * taking jobs before its Redis connection goes away.
 */
export class Lifecycle {
  private readonly closers: Closer[] = [];
  private closing: Promise<void> | null = null;

  constructor(private readonly logger: Logger) {}

  /** Registers something to close on shutdown. */
  add(name: string, close: () => Promise<void> | void): void {
    this.closers.push({ name, close });
  }

  /** Closes everything once, newest first; errors are logged and do not stop the rest. */
  close(): Promise<void> {
    this.closing ??= (async () => {
      for (const closer of [...this.closers].reverse()) {
        try {
          await closer.close();
        } catch (err) {
          this.logger.error({ err, what: closer.name }, 'error while closing');
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

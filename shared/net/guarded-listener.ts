import type { Logger } from '../logger.js';

/**
 * `listener` made safe for socket.io and engine.io events that it calls outside any promise
 * (`connection`, `disconnect`: from a process.nextTick callback or a socket's close), where a
 * synchronous throw is an uncaught exception, which ends the process (shared/process-guards.ts).
 * A throw is logged as `what` failing and handed to `recover` (a connection's listener closes that
 * one connection); the process serves on.
 */
export function guardedListener<A extends unknown[]>(
  logger: Logger,
  what: string,
  listener: (...args: A) => void,
  recover?: (...args: A) => void,
): (...args: A) => void {
  return (...args) => {
    try {
      listener(...args);
    } catch (err) {
      logger.error({ err }, `${what} failed`);
      try {
        recover?.(...args);
      } catch (again) {
        logger.error({ err: again }, `${what}: recovering failed`);
      }
    }
  };
}

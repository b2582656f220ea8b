import type { Redis } from 'ioredis';
import { ServiceUnavailableError } from '../../shared/errors.js';
import { createRedis } from '../../shared/redis.js';
import type { Runtime } from '../../shared/runtime.js';
import { outcomeChannel, type Outcome } from '../../shared/domain/interactions/store.js';

/** Interest in one interaction's outcome, registered before the interaction is delivered. */
export interface OutcomeListener {
  /** The outcome, or null when none arrived within `timeoutMs`. */
  next(timeoutMs: number): Promise<Outcome | null>;
  close(): void;
}

/**
 * One pub/sub subscription per API process, shared by every request waiting for an application's
 * answer: the answer may land on any process (the callback route, or the HTTP delivery), which
 * publishes the outcome; the process holding the user's request picks it out by interaction id.
 * The subscriber is opened on first use, so processes that never see an interaction hold none.
 */
export class OutcomeWaiter {
  private ready: Promise<void> | null = null;
  private readonly listeners = new Map<string, (outcome: Outcome) => void>();

  constructor(private readonly rt: Runtime) {}

  private start(): Promise<void> {
    if (this.ready) return this.ready;
    const sub: Redis = createRedis(this.rt.config, 'subscriber', this.rt.logger);
    this.rt.lifecycle.add('interaction outcomes subscriber', () => void sub.disconnect());
    sub.on('message', (_channel: string, raw: string) => {
      try {
        const { id, outcome } = JSON.parse(raw) as { id: string; outcome: Outcome };
        this.listeners.get(id)?.(outcome);
      } catch (err) {
        this.rt.logger.warn({ err: (err as Error).message }, 'unreadable interaction outcome');
      }
    });
    // ioredis subscribes again by itself after a reconnect.
    this.ready = sub.subscribe(outcomeChannel(this.rt)).then(
      () => undefined,
      (err: Error) => {
        this.ready = null;
        sub.disconnect();
        this.rt.logger.warn({ err: err.message }, 'cannot subscribe to interaction outcomes');
        throw new ServiceUnavailableError('Interactions are unavailable right now, try again');
      },
    );
    return this.ready;
  }

  /** Starts listening for `id`'s outcome (call before delivering it, so none can be missed). */
  async listen(id: string): Promise<OutcomeListener> {
    await this.start();
    let received: Outcome | null = null;
    let wake: (() => void) | null = null;
    this.listeners.set(id, (outcome) => {
      received ??= outcome;
      wake?.();
    });
    return {
      next: (timeoutMs) =>
        new Promise<Outcome | null>((resolve) => {
          if (received) return resolve(received);
          const timer = setTimeout(() => {
            wake = null;
            resolve(null);
          }, timeoutMs);
          wake = () => {
            clearTimeout(timer);
            wake = null;
            resolve(received);
          };
        }),
      close: () => {
        this.listeners.delete(id);
        wake?.();
      },
    };
  }
}

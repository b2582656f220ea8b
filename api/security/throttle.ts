import { RateLimiterRedis, RateLimiterRes } from 'rate-limiter-flexible';
import type { Config, ThrottleName } from '../../shared/config/index.js';
import { RateLimitedError } from '../../shared/errors.js';
import { CidrSet } from '../../shared/net/ip.js';
import type { Runtime } from '../../shared/runtime.js';

/** One throttle an attempt is counted against: a named throttle, or the per-source login backoff. */
export type ThrottleKey = [name: ThrottleName | 'login_backoff', key: string];

/** An attempt that was counted before it was judged. */
export interface Attempt {
  /** The attempt turned out good: give back its points (only failures count) and clear the backoff. */
  succeeded(): Promise<void>;
}

/** Thrown (as a 429) when an attempt is refused; `lockedNow` marks the attempt that started a block. */
export class AttemptRefused extends RateLimitedError {
  constructor(
    retryAfter: number,
    readonly throttle: ThrottleKey[0],
    readonly lockedNow: boolean,
  ) {
    super(retryAfter);
  }
}

const retryAfter = (ms: number) => Math.max(1, Math.ceil(ms / 1000));

/**
 * Progressive delay (the express-brute scheme, on rate-limiter-flexible's atomic primitives):
 * `free_attempts` per window, then one attempt at a time, each opening a wait before the next
 * that doubles from `base_delay_seconds` up to `max_delay_seconds`. Whoever opens the gate (the
 * first INCR of a fresh gate key) passes; everyone racing it is refused, so parallel requests
 * cannot slip through together.
 */
class Backoff {
  private readonly free: RateLimiterRedis;
  private readonly gate: RateLimiterRedis;
  private readonly steps: RateLimiterRedis;

  constructor(
    rt: Pick<Runtime, 'redis'>,
    prefix: string,
    private readonly cfg: Config['security']['login_backoff'],
  ) {
    const common = { storeClient: rt.redis, duration: cfg.window_seconds };
    this.free = new RateLimiterRedis({ ...common, keyPrefix: `${prefix}:free`, points: cfg.free_attempts });
    this.gate = new RateLimiterRedis({
      storeClient: rt.redis,
      keyPrefix: `${prefix}:gate`,
      points: 1,
      duration: cfg.max_delay_seconds,
    });
    this.steps = new RateLimiterRedis({ ...common, keyPrefix: `${prefix}:steps`, points: 1 << 30 });
  }

  /** Counts an attempt; throws AttemptRefused while the gate is closed. */
  async consume(key: string): Promise<void> {
    try {
      await this.free.consume(key);
      return;
    } catch (err) {
      if (!(err instanceof RateLimiterRes)) throw err;
    }
    const step = (await this.steps.get(key))?.consumedPoints ?? 0;
    const delay = Math.min(this.cfg.base_delay_seconds * 2 ** step, this.cfg.max_delay_seconds);
    const gate = await this.gate.penalty(key, 1, { customDuration: delay });
    if (gate.consumedPoints !== 1) {
      throw new AttemptRefused(retryAfter(gate.msBeforeNext), 'login_backoff', false);
    }
    await this.steps.penalty(key);
  }

  /** Forgets the key's failures (after a success). */
  async reset(key: string): Promise<void> {
    await Promise.all([this.free.delete(key), this.gate.delete(key), this.steps.delete(key)]);
  }
}

/** Throttles keyed by the client address alone, which security.throttle_exempt_cidrs may exempt. */
const PER_ADDRESS: ReadonlySet<ThrottleKey[0]> = new Set(['login_ip', 'register_ip', 'password_forgot_ip']);

/**
 * Redis-backed attempt counters (rate-limiter-flexible) for logins, registrations, 2FA codes and
 * anything else guessable, shared by every API process. Every attempt is counted *before* it is
 * judged, atomically (an INCR in Redis), so parallel requests cannot all pass a check made before
 * any of them was counted: at most `points` attempts are ever judged per window. Once a key is
 * over, it is blocked for exactly `block_seconds` (the `retry_after` of the first refusal).
 */
export class Throttles {
  private readonly limiters: Record<ThrottleName, RateLimiterRedis>;
  private readonly backoff: Backoff;
  private readonly exempt: CidrSet;

  constructor(rt: Pick<Runtime, 'redis' | 'config'>) {
    const prefix = `${rt.config.redis.key_prefix}:throttle`;
    const entries = Object.entries(rt.config.security.throttle).map(([name, t]) => [
      name,
      new RateLimiterRedis({
        storeClient: rt.redis,
        keyPrefix: `${prefix}:${name}`,
        points: t.points,
        duration: t.duration_seconds,
        blockDuration: t.block_seconds,
      }),
    ]);
    this.limiters = Object.fromEntries(entries) as Record<ThrottleName, RateLimiterRedis>;
    this.backoff = new Backoff(rt, `${prefix}:login_backoff`, rt.config.security.login_backoff);
    this.exempt = new CidrSet(rt.config.security.throttle_exempt_cidrs);
  }

  /** False for a per-address throttle whose key (the client address) is in security.throttle_exempt_cidrs. */
  private counts([name, key]: ThrottleKey): boolean {
    return !(PER_ADDRESS.has(name) && this.exempt.has(key));
  }

  /**
   * Counts one attempt against each throttle in order, before the caller judges it; throws
   * AttemptRefused (429) at the first that has nothing left (the later ones are not charged).
   * Call `succeeded()` on the result when the attempt was good.
   */
  async attempt(...all: ThrottleKey[]): Promise<Attempt> {
    const keys = all.filter((k) => this.counts(k));
    for (const [name, key] of keys) await this.consume(name, key);
    return {
      succeeded: async () => {
        for (const [name, key] of keys) {
          if (name === 'login_backoff') await this.backoff.reset(key);
          else await this.limiters[name].reward(key, 1);
        }
      },
    };
  }

  /** Spends one attempt; throws 429 when none was left. For actions where every attempt counts. */
  async hit(name: ThrottleName, key: string): Promise<void> {
    if (this.counts([name, key])) await this.consume(name, key);
  }

  /** Spends one attempt if any is left: true when it was, false when `key` is out (no error). */
  async tryHit(name: ThrottleName, key: string): Promise<boolean> {
    try {
      await this.limiters[name].consume(key);
      return true;
    } catch (err) {
      if (err instanceof RateLimiterRes) return false;
      throw err;
    }
  }

  /** Forgets everything counted for `key` (e.g. a 2FA lockout once 2FA is off). */
  async reset(name: ThrottleName, key: string): Promise<void> {
    await this.limiters[name].delete(key);
  }

  private async consume(name: ThrottleKey[0], key: string): Promise<void> {
    if (name === 'login_backoff') return this.backoff.consume(key);
    const limiter = this.limiters[name];
    try {
      await limiter.consume(key);
    } catch (err) {
      if (!(err instanceof RateLimiterRes)) throw err;
      throw new AttemptRefused(retryAfter(err.msBeforeNext), name, err.consumedPoints === limiter.points + 1);
    }
  }
}

import { RateLimiterRedis, RateLimiterRes } from 'rate-limiter-flexible';
import type { ThrottleName } from '../../shared/config/index.js';
import { RateLimitedError } from '../../shared/errors.js';
import type { Runtime } from '../../shared/runtime.js';

/** Outcome of recording a failure: whether this failure locked the key out. */
export interface FailureResult {
  locked: boolean;
}

/**
 * Redis-backed attempt counters (rate-limiter-flexible) for logins, registrations and 2FA codes,
 * shared by every API process. A key that used up its points is blocked for `block_seconds`.
 */
export class Throttles {
  private readonly limiters: Record<ThrottleName, RateLimiterRedis>;

  constructor(rt: Pick<Runtime, 'redis' | 'config'>) {
    const entries = Object.entries(rt.config.security.throttle).map(([name, t]) => [
      name,
      new RateLimiterRedis({
        storeClient: rt.redis,
        keyPrefix: `${rt.config.redis.key_prefix}:throttle:${name}`,
        points: t.points,
        duration: t.duration_seconds,
        blockDuration: t.block_seconds,
      }),
    ]);
    this.limiters = Object.fromEntries(entries) as Record<ThrottleName, RateLimiterRedis>;
  }

  /** Throws 429 when `key` has no attempts left (without spending one). */
  async check(name: ThrottleName, key: string): Promise<void> {
    const limiter = this.limiters[name];
    const state = await limiter.get(key);
    if (state && state.consumedPoints >= limiter.points) {
      throw new RateLimitedError(Math.max(1, Math.ceil(state.msBeforeNext / 1000)));
    }
  }

  /** Spends one attempt; throws 429 when none was left. For actions where every attempt counts. */
  async hit(name: ThrottleName, key: string): Promise<void> {
    try {
      await this.limiters[name].consume(key);
    } catch (err) {
      if (err instanceof RateLimiterRes)
        throw new RateLimitedError(Math.max(1, Math.ceil(err.msBeforeNext / 1000)));
      throw err;
    }
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

  /** Records a failed attempt; reports whether it used up the last one (a lockout starts). */
  async fail(name: ThrottleName, key: string): Promise<FailureResult> {
    try {
      const res = await this.limiters[name].consume(key);
      return { locked: res.remainingPoints === 0 && this.limiters[name].blockDuration > 0 };
    } catch (err) {
      if (err instanceof RateLimiterRes) return { locked: true };
      throw err;
    }
  }

  /** Forgets the failures of `key` (after a success). */
  async reset(name: ThrottleName, key: string): Promise<void> {
    await this.limiters[name].delete(key);
  }
}

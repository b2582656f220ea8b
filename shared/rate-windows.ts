import type { Redis } from 'ioredis';
import type { RateLimit } from './config/index.js';

/** A bucket's count after a point was taken from it, and how long its window still runs. */
export interface WindowCount {
  consumed: number;
  msBeforeNext: number;
}

/**
 * Takes a point from each bucket in KEYS in order (ARGV: its limit and window in whole seconds per
 * key), as rate-limiter-flexible's RateLimiterRedis does for one (the window starts with the first
 * point; a key left without expiry gets one), and stops at the first bucket over its limit, so a
 * request refused by an earlier budget costs nothing in the later ones. Returns consumed points
 * and ms left per bucket reached. One script for all buckets: one round trip per check.
 */
const CONSUME = `
local out = {}
for i, key in ipairs(KEYS) do
  local limit = tonumber(ARGV[2 * i - 1])
  local seconds = ARGV[2 * i]
  redis.call('set', key, 0, 'EX', seconds, 'NX')
  local consumed = redis.call('incrby', key, 1)
  local ttl = redis.call('pttl', key)
  if ttl == -1 then
    redis.call('expire', key, seconds)
    ttl = 1000 * seconds
  end
  out[#out + 1] = consumed
  out[#out + 1] = ttl
  if consumed > limit then return out end
end
return out`;

/** The script as an ioredis command (EVALSHA, loading it when Redis does not know it yet). */
type ConsumeClient = { plexichatRateLimit(...args: (string | number)[]): Promise<number[]> };

/** Whole seconds, as rate-limiter-flexible counted: sub-second windows round up to one. */
const seconds = (limit: RateLimit): number => Math.max(1, Math.ceil(limit.duration_seconds));

/**
 * Fixed-window counters in Redis, shared by every process that uses the same Redis and key prefix
 * (the API's route limits, the gateway's and voice's handshake limits). Keys are those
 * rate-limiter-flexible used (`<prefix>:rl:<points>/<seconds>:<key>`), so counts carry over a deploy.
 */
export class RateWindows {
  private readonly client: ConsumeClient;

  constructor(
    redis: Redis,
    private readonly prefix: string,
  ) {
    // Defining it again on a shared client (the all-in-one process) only replaces it with itself.
    redis.defineCommand('plexichatRateLimit', { lua: CONSUME });
    this.client = redis as unknown as ConsumeClient;
  }

  /**
   * Takes one point from each bucket in order, atomically, stopping after the first one over its
   * limit: the counts of the buckets reached (fewer than asked when one was over).
   */
  async take(buckets: [limit: RateLimit, key: string][]): Promise<WindowCount[]> {
    const keys = buckets.map(
      ([limit, key]) => `${this.prefix}:rl:${limit.points}/${limit.duration_seconds}:${key}`,
    );
    const args = buckets.flatMap(([limit]) => [limit.points, seconds(limit)]);
    const out = await this.client.plexichatRateLimit(keys.length, ...keys, ...args);
    const counts: WindowCount[] = [];
    for (let i = 0; i + 1 < out.length; i += 2) {
      counts.push({ consumed: out[i] ?? 0, msBeforeNext: out[i + 1] ?? 0 });
    }
    return counts;
  }
}

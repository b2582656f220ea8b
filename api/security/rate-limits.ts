import crypto from 'node:crypto';
import type { Request, Response } from 'express';
import type { RateLimit } from '../../shared/config/index.js';
import { RateLimitedError } from '../../shared/errors.js';
import { normalizeIp } from '../../shared/net/ip.js';
import type { Runtime } from '../../shared/runtime.js';
import type { Caller } from '../auth/context.js';
import type { AnyRoute } from '../routes/route.js';

/** Route parameters that split a bucket: sending in one channel does not slow sending in another. */
const MAJOR_PARAMS = ['channel_id', 'server_id', 'webhook_id', 'application_id', 'app_id'];

/** Checks a request against the caller's global and route limits; throws 429, sets the headers. */
export type RateLimitGuard = (
  route: AnyRoute,
  req: Request,
  res: Response,
  auth: Caller | null,
  params: Record<string, string>,
) => Promise<void>;

/** A bucket's state after a request took its point (what rate-limiter-flexible called RateLimiterRes). */
interface BucketState {
  remainingPoints: number;
  msBeforeNext: number;
}

function retryAfter(state: BucketState): number {
  return Math.max(0.001, state.msBeforeNext / 1000);
}

function setHeaders(res: Response, limit: RateLimit, state: BucketState, bucket: string): void {
  const resetAfter = state.msBeforeNext / 1000;
  res.setHeader('X-RateLimit-Limit', String(limit.points));
  res.setHeader('X-RateLimit-Remaining', String(Math.max(0, state.remainingPoints)));
  res.setHeader('X-RateLimit-Reset', ((Date.now() + state.msBeforeNext) / 1000).toFixed(3));
  res.setHeader('X-RateLimit-Reset-After', resetAfter.toFixed(3));
  res.setHeader('X-RateLimit-Bucket', bucket);
}

/**
 * Takes a point from each bucket in KEYS in order (ARGV: its limit and window in whole seconds per
 * key), as rate-limiter-flexible's RateLimiterRedis does for one (the window starts with the first
 * point; a key left without expiry gets one), and stops at the first bucket over its limit, so a
 * request refused by the global budget costs nothing in its route bucket. Returns consumed points
 * and ms left per bucket reached. One script for both checks: one round trip per request.
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

/**
 * Redis-backed limits on every route (shared by all API processes): a global budget per caller
 * (user or bot id; the IP for anonymous requests) over all routes, and a budget per route bucket
 * and caller, both taken in one script call. A bucket is the route's own `rateLimit.bucket` (or its
 * method and path) plus its major parameter (channel, server...), hashed so the header reveals no
 * ids. Keys are those rate-limiter-flexible used (`<prefix>:rl:<points>/<seconds>:<key>`), so
 * counts carry over a deploy.
 */
export function createRateLimits(rt: Pick<Runtime, 'redis' | 'config'>): RateLimitGuard | null {
  const settings = rt.config.rate_limits;
  if (!settings.enabled) return null;
  rt.redis.defineCommand('plexichatRateLimit', { lua: CONSUME });
  const client = rt.redis as unknown as ConsumeClient;
  const keyOf = (limit: RateLimit, key: string) =>
    `${rt.config.redis.key_prefix}:rl:${limit.points}/${limit.duration_seconds}:${key}`;
  // Whole seconds, as rate-limiter-flexible counted: sub-second windows round up to one.
  const seconds = (limit: RateLimit) => Math.max(1, Math.ceil(limit.duration_seconds));

  return async (route, req, res, auth, params) => {
    if (route.rateLimit === false) return;
    const caller = auth ? `u:${auth.user.id}` : `ip:${normalizeIp(req.ip)}`;
    const name = route.rateLimit?.bucket ?? `${route.method.toUpperCase()} ${route.path}`;
    const limit =
      settings.routes[name] ??
      (route.rateLimit ? route.rateLimit : route.method === 'get' ? settings.read : settings.write);
    const major = MAJOR_PARAMS.map((p) => params[p]).find((v) => v !== undefined) ?? '';
    const bucket = crypto.createHash('sha256').update(`${name}:${major}`).digest('hex').slice(0, 16);
    const global = settings.global;
    const [globalUsed = 0, globalTtl = 0, routeUsed, routeTtl = 0] = await client.plexichatRateLimit(
      2,
      keyOf(global, `g:${caller}`),
      keyOf(limit, `${bucket}:${caller}`),
      global.points,
      seconds(global),
      limit.points,
      seconds(limit),
    );
    if (globalUsed > global.points) {
      // API.md wants the headers on every answer of a limited route: this one tells of the budget that refused it.
      const spent = { remainingPoints: 0, msBeforeNext: globalTtl };
      setHeaders(res, global, spent, 'global');
      res.setHeader('X-RateLimit-Global', 'true');
      res.setHeader('X-RateLimit-Scope', auth ? 'user' : 'ip');
      throw new RateLimitedError(retryAfter(spent), true);
    }
    const state = { remainingPoints: limit.points - (routeUsed ?? 0), msBeforeNext: routeTtl };
    setHeaders(res, limit, state, bucket);
    if ((routeUsed ?? 0) > limit.points) throw new RateLimitedError(retryAfter(state));
  };
}

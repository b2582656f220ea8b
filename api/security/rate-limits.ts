import crypto from 'node:crypto';
import type { Request, Response } from 'express';
import { RateLimiterRedis, RateLimiterRes } from 'rate-limiter-flexible';
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

function retryAfter(state: RateLimiterRes): number {
  return Math.max(0.001, state.msBeforeNext / 1000);
}

function setHeaders(res: Response, limit: RateLimit, state: RateLimiterRes, bucket: string): void {
  const resetAfter = state.msBeforeNext / 1000;
  res.setHeader('X-RateLimit-Limit', String(limit.points));
  res.setHeader('X-RateLimit-Remaining', String(Math.max(0, state.remainingPoints)));
  res.setHeader('X-RateLimit-Reset', ((Date.now() + state.msBeforeNext) / 1000).toFixed(3));
  res.setHeader('X-RateLimit-Reset-After', resetAfter.toFixed(3));
  res.setHeader('X-RateLimit-Bucket', bucket);
}

/**
 * Redis-backed limits on every route (rate-limiter-flexible, shared by all API processes): a global
 * budget per caller (user or bot id; the IP for anonymous requests) over all routes, and a budget
 * per route bucket and caller. A bucket is the route's own `rateLimit.bucket` (or its method and
 * path) plus its major parameter (channel, server...), hashed so the header reveals no ids.
 */
export function createRateLimits(rt: Pick<Runtime, 'redis' | 'config'>): RateLimitGuard | null {
  const settings = rt.config.rate_limits;
  if (!settings.enabled) return null;
  const limiters = new Map<string, RateLimiterRedis>();
  const limiter = (limit: RateLimit): RateLimiterRedis => {
    const id = `${limit.points}/${limit.duration_seconds}`;
    let found = limiters.get(id);
    if (!found) {
      found = new RateLimiterRedis({
        storeClient: rt.redis,
        keyPrefix: `${rt.config.redis.key_prefix}:rl:${id}`,
        points: limit.points,
        // rate-limiter-flexible counts whole seconds; sub-second windows round up to one.
        duration: Math.max(1, Math.ceil(limit.duration_seconds)),
      });
      limiters.set(id, found);
    }
    return found;
  };

  return async (route, req, res, auth, params) => {
    if (route.rateLimit === false) return;
    const caller = auth ? `u:${auth.user.id}` : `ip:${normalizeIp(req.ip)}`;
    try {
      await limiter(settings.global).consume(`g:${caller}`);
    } catch (err) {
      if (!(err instanceof RateLimiterRes)) throw err;
      res.setHeader('X-RateLimit-Global', 'true');
      res.setHeader('X-RateLimit-Scope', auth ? 'user' : 'ip');
      throw new RateLimitedError(retryAfter(err), true);
    }
    const name = route.rateLimit?.bucket ?? `${route.method.toUpperCase()} ${route.path}`;
    const limit =
      settings.routes[name] ??
      (route.rateLimit ? route.rateLimit : route.method === 'get' ? settings.read : settings.write);
    const major = MAJOR_PARAMS.map((p) => params[p]).find((v) => v !== undefined) ?? '';
    const bucket = crypto.createHash('sha256').update(`${name}:${major}`).digest('hex').slice(0, 16);
    try {
      setHeaders(res, limit, await limiter(limit).consume(`${bucket}:${caller}`), bucket);
    } catch (err) {
      if (!(err instanceof RateLimiterRes)) throw err;
      setHeaders(res, limit, err, bucket);
      throw new RateLimitedError(retryAfter(err));
    }
  };
}

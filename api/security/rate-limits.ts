import crypto from 'node:crypto';
import type { Request, Response } from 'express';
import type { RateLimit } from '../../shared/config/index.js';
import { RateLimitedError } from '../../shared/errors.js';
import { normalizeIp } from '../../shared/net/ip.js';
import { RateWindows } from '../../shared/rate-windows.js';
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
 * Redis-backed limits on every route (shared by all API processes): a global budget per caller
 * (user or bot id; the IP for anonymous requests) over all routes, and a budget per route bucket
 * and caller, both taken in one script call (shared/rate-windows.ts), so a request refused by the
 * global budget costs nothing in its route bucket. A bucket is the route's own `rateLimit.bucket`
 * (or its method and path) plus its major parameter (channel, server...), hashed so the header
 * reveals no ids.
 */
export function createRateLimits(rt: Pick<Runtime, 'redis' | 'config'>): RateLimitGuard | null {
  const settings = rt.config.rate_limits;
  if (!settings.enabled) return null;
  const windows = new RateWindows(rt.redis, rt.config.redis.key_prefix);

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
    const [globalCount, routeCount] = await windows.take([
      [global, `g:${caller}`],
      [limit, `${bucket}:${caller}`],
    ]);
    if (!routeCount) {
      // API.md wants the headers on every answer of a limited route: this one tells of the budget that refused it.
      const spent = { remainingPoints: 0, msBeforeNext: globalCount?.msBeforeNext ?? 0 };
      setHeaders(res, global, spent, 'global');
      res.setHeader('X-RateLimit-Global', 'true');
      res.setHeader('X-RateLimit-Scope', auth ? 'user' : 'ip');
      throw new RateLimitedError(retryAfter(spent), true);
    }
    const state = {
      remainingPoints: limit.points - routeCount.consumed,
      msBeforeNext: routeCount.msBeforeNext,
    };
    setHeaders(res, limit, state, bucket);
    if (routeCount.consumed > limit.points) throw new RateLimitedError(retryAfter(state));
  };
}

import express, { type NextFunction, type Request, type Response } from 'express';
import { match } from 'path-to-regexp';
import {
  ApiError,
  INSTANCE_ADMIN,
  MissingPermissionError,
  UnauthorizedError,
  UnsupportedMediaTypeError,
  ValidationError,
  type FieldErrors,
} from '../../shared/errors.js';
import { NOT_UTF8, decodePercentEncoded, urlencodedProblems } from '../../shared/input-limits.js';
import { normalizeIp } from '../../shared/net/ip.js';
import type { Caller } from '../auth/context.js';
import { checkOAuthScopes } from '../oauth2/scopes.js';
import type { RateLimitGuard } from '../security/rate-limits.js';
import { RequestValidation } from '../middleware/validate.js';
import { phase } from '../middleware/server-timing.js';
import type { AnyRoute } from './route.js';

/**
 * `/channels/{channel_id}` -> `/channels/:channel_id`; a trailing `{key...}` matches the rest of the
 * path, slashes included (`/media/{key...}` -> `/media/*key`).
 */
export function toExpressPath(path: string): string {
  return path.replace(/\{([A-Za-z0-9_@]+)\.\.\.\}$/, '*$1').replace(/\{([A-Za-z0-9_@]+)\}/g, ':$1');
}

/** `/media/{key...}` -> `/media/{key}`: OpenAPI has no rest parameters, the description says so. */
export function toOpenApiPath(path: string): string {
  return path.replace(/\{([A-Za-z0-9_@]+)\.\.\.\}/g, '{$1}');
}

/** Express hands a `*rest` parameter over as its decoded segments: join them back into one string. */
function joinRestParams(params: Record<string, string | string[]>): Record<string, string> {
  return Object.fromEntries(Object.entries(params).map(([k, v]) => [k, Array.isArray(v) ? v.join('/') : v]));
}

/** The raw query of a request URL: what Express's query parser reads (after `?`, before any `#`). */
function rawQuery(url: string): string {
  const start = url.indexOf('?');
  if (start < 0) return '';
  const end = url.indexOf('#', start);
  return url.slice(start + 1, end < 0 ? undefined : end);
}

/** Why a path parameter the router could not decode is refused (null: it decodes). */
function undecodable(segment: string): string | null {
  if (!segment.includes('%')) return null;
  try {
    decodeURIComponent(segment);
    return null;
  } catch {
    return decodePercentEncoded(segment) === null ? NOT_UTF8 : 'a % that starts no escape (write it as %25)';
  }
}

/**
 * The router's matcher for a route (path-to-regexp, with the router's options: case-insensitive,
 * one trailing slash allowed), without decoding: the raw segments of every parameter.
 */
function rawMatcher(template: string): (path: string) => Record<string, string | string[]> | null {
  const matches = match(toExpressPath(template), {
    decode: false,
    sensitive: false,
    trailing: true,
    end: true,
  });
  return (path) => {
    const found = matches(path);
    return found ? (found.params as Record<string, string | string[]>) : null;
  };
}

/** The parameters whose raw segments do not decode, with why (empty: they all do). */
function undecodableParams(raw: Record<string, string | string[]>): FieldErrors {
  const errors: FieldErrors = {};
  for (const [key, value] of Object.entries(raw)) {
    const why = (Array.isArray(value) ? value : [value]).map(undecodable).find((w) => w !== null);
    if (why) errors[key] = `${key} must not contain ${why}`;
  }
  return errors;
}

/**
 * An error handler for the router's URI decoding, which throws a bare URIError before any route
 * runs when a path parameter's escapes are not UTF-8 (`/users/%C3`) or not escapes at all: it
 * becomes the 400 any other bad parameter gets, naming the parameter (as the route of the
 * request's method calls it, when several routes match the path). Anything else goes on unchanged.
 */
function undecodableParamErrors(routes: AnyRoute[]) {
  const matchers = routes.map((route) => ({ method: route.method, match: rawMatcher(route.path) }));
  return (err: unknown, req: Request, _res: Response, next: NextFunction): void => {
    if (!(err instanceof URIError)) return next(err);
    const method = req.method === 'HEAD' ? 'get' : req.method.toLowerCase();
    let found: FieldErrors | null = null;
    for (const route of matchers) {
      const raw = route.match(req.path);
      const errors = raw && undecodableParams(raw);
      if (!errors || Object.keys(errors).length === 0) continue;
      found ??= errors;
      if (route.method === method) {
        found = errors;
        break;
      }
    }
    next(found ? new ValidationError(found, `Invalid params: ${Object.keys(found).join(', ')}`) : err);
  };
}

/** Resolves the caller from the request's token: null when no token was sent; throws 401 when it is bad. */
export type Authenticator = (req: Request, res: Response) => Promise<Caller | null>;

function hasBody(req: Request): boolean {
  const length = req.headers['content-length'];
  return req.headers['transfer-encoding'] !== undefined || (length !== undefined && length !== '0');
}

async function resolveAccess(
  route: AnyRoute,
  req: Request,
  res: Response,
  authenticate: Authenticator,
): Promise<Caller | null> {
  if (route.access === 'public') {
    const auth = req.headers.authorization ? await authenticate(req, res).catch(() => null) : null;
    // An OAuth2 token on a public route counts as no token: public handlers see sessions only.
    return auth?.kind === 'oauth' ? null : auth;
  }
  const auth = await authenticate(req, res);
  if (!auth) throw new UnauthorizedError();
  if (route.userOnly && auth.kind === 'bot') {
    throw new ApiError(
      403,
      'bots_not_allowed',
      `Bots cannot use ${route.method.toUpperCase()} ${route.path}`,
    );
  }
  if (route.access === 'admin' && !auth.user.is_admin) {
    // API.md lists the admin routes, so they are no secret: 403 naming what is missing, as /metrics.
    throw new MissingPermissionError(INSTANCE_ADMIN);
  }
  if (auth.kind === 'oauth') checkOAuthScopes(route.oauth_scopes, auth.scopes);
  return auth;
}

/**
 * Where a route goes: a template starting with a literal segment (`/channels/{channel_id}`) goes to
 * that segment's router, mounted at `/channels`, under the rest of its path (`/{channel_id}`).
 * Express tries a router's routes one by one, so a request no longer walks the ~190 routes of
 * every other segment before its own (router frames: ~4.7% of a web process at 800 msg/s before,
 * ~3.9% after).
 * Templates do not overlap across segments, so the order that decides is kept: within a segment.
 */
function mountPoint(path: string): { segment: string; rest: string } | null {
  const m = /^\/([A-Za-z0-9_.@-]+)(\/.*)?$/.exec(path);
  if (!m?.[1]) return null;
  return { segment: m[1], rest: m[2] ?? '/' };
}

/**
 * Builds an Express router from route specs: authentication, rate limits (a route's prefetch beside
 * them), validation, then the handler.
 */
export function buildRouter(
  routes: AnyRoute[],
  authenticate: Authenticator,
  rateLimit: RateLimitGuard | null = null,
): express.Router {
  const router = express.Router();
  const segments = new Map<string, express.Router>();
  /** The router a route is added to, and the path it is added under there. */
  const placeOf = (path: string): [express.Router, string] => {
    const mount = mountPoint(path);
    if (!mount) return [router, path];
    let segment = segments.get(mount.segment);
    if (!segment) {
      segment = express.Router();
      segments.set(mount.segment, segment);
      router.use(`/${mount.segment}`, segment);
    }
    return [segment, mount.rest];
  };
  for (const route of routes) {
    const handler = async (req: Request, res: Response, next: NextFunction): Promise<void> => {
      // The template, not the URL, labels metrics (api/middleware/metrics.ts).
      (res.locals as { route?: string }).route = route.path;
      try {
        const auth = await resolveAccess(route, req, res, authenticate);
        phase('auth');
        const rawParams = joinRestParams(req.params);
        // Every part is checked before any 400, which names the bad fields of all of them.
        const validation = new RequestValidation();
        const params: unknown = route.params ? validation.part(route.params, rawParams, 'params') : rawParams;
        const prefetched =
          route.prefetch && params !== undefined ? route.prefetch({ params, auth, req }) : null;
        // Its error is the handler's to throw; a request refused before then never looks at it.
        prefetched?.catch(() => undefined);
        if (rateLimit) await rateLimit(route, req, res, auth, rawParams);
        phase('limit');
        // Escapes that are not UTF-8 reach req.query as U+FFFD: found in the raw query instead.
        const query: unknown = route.query
          ? validation.part(
              route.query,
              req.query,
              'query',
              undefined,
              urlencodedProblems(rawQuery(req.url), 'query'),
            )
          : {};
        let body: unknown = undefined;
        // A multipart request goes to the handler unread: it streams the files itself.
        const multipart = route.multipart !== undefined && typeof req.is('multipart/form-data') === 'string';
        if (route.body && !multipart) {
          if (hasBody(req) && !req.is('application/json')) {
            validation.finish();
            throw new UnsupportedMediaTypeError('Request body must be application/json');
          }
          // The caller is `$auth` to the schema (a password field required only of accounts with one).
          body = validation.part(route.body, (req.body as unknown) ?? {}, 'body', { auth });
        }
        validation.finish();
        phase('validate');
        const ip = normalizeIp(req.ip);
        const result = await route.handler({ params, query, body, auth, ip, req, res, prefetched });
        if (res.headersSent) return;
        // A handler may choose another status for this answer (202 while a job is still queued).
        const status = res.statusCode !== 200 ? res.statusCode : (route.status ?? 200);
        if (status === 204 || result === undefined) res.status(status).end();
        else res.status(status).json(result);
      } catch (err) {
        next(err);
      }
    };
    const [target, path] = placeOf(route.path);
    target[route.method](toExpressPath(path), (req, res, next) => void handler(req, res, next));
  }
  router.use(undecodableParamErrors(routes));
  return router;
}

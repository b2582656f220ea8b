import crypto from 'node:crypto';
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import { deriveKey } from '../../shared/auth/secret-key.js';
import { findLiveSession, sessionIdledOut } from '../../shared/auth/sessions.js';
import { parseAuthorization } from '../../shared/auth/tokens.js';
import type { Config } from '../../shared/config/index.js';
import type { UserView } from '../../shared/db/models/index.js';
import { ApiError, INSTANCE_ADMIN, MissingPermissionError, UnauthorizedError } from '../../shared/errors.js';
import type { Runtime } from '../../shared/runtime.js';

/** The admin browser session cookie: sent only to /admin/... (the dashboard and Bull Board). */
export const ADMIN_COOKIE = 'plexichat_admin';
export const ADMIN_COOKIE_PATH = '/admin';
/** How long a browser session cookie works (it also ends with its API session). */
export const BROWSER_SESSION_TTL_SECONDS = 12 * 3600;

type KeyConfig = Pick<Config, 'security' | 'data_dir'>;

const COOKIE_VALUE = /^(\d{1,19})\.(\d{1,12})\.([A-Za-z0-9_-]{43})$/;

function signature(config: KeyConfig, payload: string): string {
  return crypto
    .createHmac('sha256', deriveKey(config, 'admin-browser-session'))
    .update(payload)
    .digest('base64url');
}

/** The cookie value for API session `sessionId` until `expiresAt` (unix seconds): `id.exp.hmac`. */
export function signBrowserSession(config: KeyConfig, sessionId: string, expiresAt: number): string {
  const payload = `${sessionId}.${expiresAt}`;
  return `${payload}.${signature(config, payload)}`;
}

/** The session id a cookie value vouches for: null when malformed, forged or expired. */
export function verifyBrowserSession(
  config: KeyConfig,
  value: string,
  nowSeconds = Math.floor(Date.now() / 1000),
): string | null {
  const match = COOKIE_VALUE.exec(value);
  if (!match) return null;
  const [, sessionId = '', expiresAt = '', sig = ''] = match;
  const expected = Buffer.from(signature(config, `${sessionId}.${expiresAt}`));
  const given = Buffer.from(sig);
  if (given.length !== expected.length || !crypto.timingSafeEqual(given, expected)) return null;
  return Number(expiresAt) > nowSeconds ? sessionId : null;
}

function cookieOptions(config: Pick<Config, 'server'>) {
  return {
    path: ADMIN_COOKIE_PATH,
    httpOnly: true,
    sameSite: 'strict' as const,
    secure: config.server.public_url?.startsWith('https://') ?? false,
  };
}

/** Sets the browser session cookie for `sessionId`; returns when it expires (unix seconds). */
export function setBrowserSessionCookie(
  res: Response,
  config: KeyConfig & Pick<Config, 'server'>,
  sessionId: string,
) {
  const expiresAt = Math.floor(Date.now() / 1000) + BROWSER_SESSION_TTL_SECONDS;
  res.cookie(ADMIN_COOKIE, signBrowserSession(config, sessionId, expiresAt), {
    ...cookieOptions(config),
    maxAge: BROWSER_SESSION_TTL_SECONDS * 1000,
  });
  return expiresAt;
}

/** Tells the browser to drop the cookie. */
export function clearBrowserSessionCookie(res: Response, config: Pick<Config, 'server'>): void {
  res.clearCookie(ADMIN_COOKIE, cookieOptions(config));
}

/** The value of cookie `name` in the request (no cookie parser is mounted app-wide). */
export function readCookie(req: Request, name: string): string | null {
  for (const part of (req.headers.cookie ?? '').split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) {
      try {
        return decodeURIComponent(part.slice(eq + 1).trim());
      } catch {
        return null;
      }
    }
  }
  return null;
}

/** The user behind a live session id (by id: the cookie holds no token), or null. */
async function userOfSession(
  rt: Pick<Runtime, 'models' | 'config'>,
  sessionId: string,
): Promise<UserView | null> {
  const session = await rt.models.Session.findOne({ where: { id: sessionId, revoked_at: null } });
  if (!session || session.kind !== 'user' || sessionIdledOut(rt.config, session)) return null;
  const user = await rt.models.User.findByPk(session.user_id);
  return user && !user.disabled_at ? user : null;
}

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/**
 * Whether a request that changes something (Bull Board's retry, promote, clean, delete) came from a
 * page of this origin. SameSite=Strict keeps the cookie from other sites, but sibling subdomains
 * are the same site: the browser's Sec-Fetch-Site, or failing that its Origin, tells them apart.
 * A request with neither is no browser's, and no browser attached the cookie for it.
 */
function sameOriginWrite(req: Request): boolean {
  if (SAFE_METHODS.has(req.method)) return true;
  const site = req.headers['sec-fetch-site'];
  if (typeof site === 'string') return site === 'same-origin';
  const origin = req.headers.origin;
  if (origin === undefined) return true;
  try {
    return new URL(origin).host === req.headers.host;
  } catch {
    return false;
  }
}

const SIGN_IN_PAGE = `<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><title>Sign in - Plexichat admin</title></head>
<body>
<h1>Sign in first</h1>
<p>This page is for instance admins. <a href="/admin/">Sign in to the admin dashboard</a>, then follow its link here.</p>
</body>
</html>
`;

/**
 * Guards admin browser pages (Bull Board): `Authorization: Bearer <admin token>`, or the cookie of
 * POST /admin/browser-session (signature, expiry, its session still live, its user still an admin
 * and not disabled). Missing or bad credentials: 401 (a page linking to the dashboard's sign-in when a
 * browser asks for HTML, else the JSON error); a valid caller who is no admin: 403 naming INSTANCE_ADMIN, as every admin route.
 * A change made with the cookie must come from this origin (403 `cross_origin_request`).
 */
export function adminBrowserAuth(
  rt: Pick<Runtime, 'models' | 'config' | 'sequelize' | 'redis'>,
): RequestHandler {
  const authenticate = async (req: Request): Promise<UserView | null> => {
    if (req.headers.authorization !== undefined) {
      const parsed = parseAuthorization(req.headers.authorization);
      if (parsed?.scheme !== 'Bearer') return null;
      const live = await findLiveSession(rt, parsed.token);
      return live?.kind === 'user' ? live.user : null;
    }
    const cookie = readCookie(req, ADMIN_COOKIE);
    const sessionId = cookie === null ? null : verifyBrowserSession(rt.config, cookie);
    return sessionId === null ? null : userOfSession(rt, sessionId);
  };
  const handle = async (req: Request, res: Response, next: NextFunction): Promise<void> => {
    const user = await authenticate(req);
    if (user?.is_admin) {
      if (req.headers.authorization === undefined && !sameOriginWrite(req)) {
        return next(
          new ApiError(
            403,
            'cross_origin_request',
            'Changes through the admin cookie must come from this origin',
          ),
        );
      }
      return next();
    }
    if (user) return next(new MissingPermissionError(INSTANCE_ADMIN));
    if (req.method === 'GET' && req.accepts(['json', 'html']) === 'html') {
      res.status(401).type('html').setHeader('Cache-Control', 'no-store').send(SIGN_IN_PAGE);
      return;
    }
    next(new UnauthorizedError());
  };
  return (req, res, next) => {
    handle(req, res, next).catch(next);
  };
}

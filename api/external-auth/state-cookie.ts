import crypto from 'node:crypto';
import type { Request } from 'express';
import { deriveKey } from '../../shared/auth/secret-key.js';
import type { Config } from '../../shared/config/index.js';
import type { AuthorizationState } from './providers.js';

/** How long a browser has to come back from the provider. */
export const STATE_TTL_SECONDS = 600;

/** What the cookie carries: the provider and the strategy's saved request. */
interface Sealed {
  provider: string;
  state: AuthorizationState;
  expires: number;
}

/**
 * One cookie per sign-in attempt, named after its `state`, so two tabs signing in at once do not
 * overwrite each other. It binds the callback to the browser that started the sign-in (no login
 * CSRF) and keeps the PKCE verifier and nonce, encrypted (AES-256-GCM under a key derived for this
 * use): no server-side session store is needed.
 */
export function stateCookieName(state: string): string {
  return `plexichat_oidc_${crypto.createHash('sha256').update(state).digest('hex').slice(0, 16)}`;
}

function key(config: Config): Buffer {
  return deriveKey(config, 'oidc-state-cookie');
}

/** The sealed cookie value for a sign-in in progress. */
export function sealState(config: Config, provider: string, state: AuthorizationState): string {
  const iv = crypto.randomBytes(12);
  const cipher = crypto.createCipheriv('aes-256-gcm', key(config), iv);
  const body: Sealed = { provider, state, expires: Date.now() + STATE_TTL_SECONDS * 1000 };
  const data = Buffer.concat([cipher.update(JSON.stringify(body), 'utf8'), cipher.final()]);
  return [iv, cipher.getAuthTag(), data].map((b) => b.toString('base64url')).join('.');
}

/** The strategy's saved request from a cookie, or null when it is missing, forged, expired or another provider's. */
export function openState(
  config: Config,
  value: string | undefined,
  provider: string,
): AuthorizationState | null {
  if (!value) return null;
  const [iv, tag, data] = value.split('.');
  if (!iv || !tag || data === undefined) return null;
  try {
    const decipher = crypto.createDecipheriv('aes-256-gcm', key(config), Buffer.from(iv, 'base64url'));
    decipher.setAuthTag(Buffer.from(tag, 'base64url'));
    const text = Buffer.concat([decipher.update(Buffer.from(data, 'base64url')), decipher.final()]).toString(
      'utf8',
    );
    const sealed = JSON.parse(text) as Sealed;
    if (sealed.provider !== provider || sealed.expires < Date.now()) return null;
    return sealed.state;
  } catch {
    return null;
  }
}

/** One cookie of the request, or undefined. */
export function readCookie(req: Request, name: string): string | undefined {
  for (const part of (req.headers.cookie ?? '').split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return undefined;
}

/** A Set-Cookie value scoped to the sign-in routes; `maxAge` 0 deletes the cookie. */
export function stateCookieHeader(
  name: string,
  value: string,
  maxAge: number,
  path: string,
  secure: boolean,
): string {
  return [
    `${name}=${value}`,
    `Path=${path}`,
    `Max-Age=${maxAge}`,
    'HttpOnly',
    // Lax: the provider's redirect back is a top-level GET navigation, which carries it.
    'SameSite=Lax',
    ...(secure ? ['Secure'] : []),
  ].join('; ');
}

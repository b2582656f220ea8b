import crypto from 'node:crypto';
import type { Request, Response } from 'express';
import { deriveKey } from '../../shared/auth/secret-key.js';
import type { Config } from '../../shared/config/index.js';
import { readCookie } from '../admin/browser-auth.js';

/**
 * Device cookies (OWASP's defence against lockout abuse): a successful sign-in leaves a signed
 * `<user id>.<nonce>.<expiry>.<hmac>` cookie on the device, and a later login for that user that
 * presents it is judged against its own counter (login_device), not the per-account one a
 * stranger can run up. Only sent to the auth routes; a cookie names one account.
 */
const COOKIE_PATH = '/api/v1/auth';
const VALUE = /^(\d{1,19})\.([A-Za-z0-9_-]{22})\.(\d{1,12})\.([A-Za-z0-9_-]{43})$/;

type KeyConfig = Pick<Config, 'security' | 'data_dir'>;

/** The cookie name for one account, so several accounts can share a browser. */
export function deviceCookieName(userId: string): string {
  return `plexichat_device_${userId}`;
}

function signature(config: KeyConfig, payload: string): string {
  return crypto.createHmac('sha256', deriveKey(config, 'device-cookie')).update(payload).digest('base64url');
}

/** Sets a fresh device cookie for `userId` on the response. */
export function setDeviceCookie(
  res: Response,
  config: KeyConfig & Pick<Config, 'server'>,
  userId: string,
): void {
  const days = config.security.device_cookie_days;
  const expires = Math.floor(Date.now() / 1000) + days * 86400;
  const payload = `${userId}.${crypto.randomBytes(16).toString('base64url')}.${expires}`;
  res.cookie(deviceCookieName(userId), `${payload}.${signature(config, payload)}`, {
    path: COOKIE_PATH,
    httpOnly: true,
    sameSite: 'strict',
    secure: config.server.public_url?.startsWith('https://') ?? false,
    maxAge: days * 86_400_000,
  });
}

/** The device id (nonce) of a valid, unexpired device cookie for `userId` in the request, or null. */
export function readDeviceCookie(req: Request, config: KeyConfig, userId: string): string | null {
  const value = readCookie(req, deviceCookieName(userId));
  const match = value ? VALUE.exec(value) : null;
  if (!match) return null;
  const [, owner = '', nonce = '', expires = '', sig = ''] = match;
  const expected = Buffer.from(signature(config, `${owner}.${nonce}.${expires}`));
  const given = Buffer.from(sig);
  if (given.length !== expected.length || !crypto.timingSafeEqual(given, expected)) return null;
  if (owner !== userId || Number(expires) <= Date.now() / 1000) return null;
  return nonce;
}

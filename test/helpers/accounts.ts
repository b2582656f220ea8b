import crypto from 'node:crypto';
import { generate } from 'otplib';
import { moveAccountEpochs } from '../../shared/auth/session-cache.js';
import type { TestApp } from './app.js';

/** A registered user and the token of their first session. */
export interface TestUser {
  id: string;
  username: string;
  password: string;
  token: string;
  /** `{ authorization: 'Bearer <token>' }` */
  headers: Record<string, string>;
}

/** Registers a fresh user through the real API. */
export async function registerUser(
  app: Pick<TestApp, 'api'>,
  fields: { username?: string; password?: string; email?: string } = {},
): Promise<TestUser> {
  const username = fields.username ?? `u_${crypto.randomBytes(6).toString('hex')}`;
  const password = fields.password ?? `pw-${crypto.randomBytes(8).toString('hex')}`;
  const res = await fetch(`${app.api}/auth/register`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-forwarded-for': randomIp() },
    body: JSON.stringify({ username, password, ...(fields.email ? { email: fields.email } : {}) }),
  });
  if (res.status !== 201) throw new Error(`register failed: ${res.status} ${await res.text()}`);
  const body = (await res.json()) as { token: string; user: { id: string } };
  return {
    id: body.user.id,
    username,
    password,
    token: body.token,
    headers: { authorization: `Bearer ${body.token}` },
  };
}

/**
 * An address of the benchmarking block 198.18.0.0/15 (only ever sent as X-Forwarded-For, through a
 * trusted proxy), so per-IP throttles of one test do not spill into another: 130,000 of them, where
 * the 254 of TEST-NET-2 it drew from before sometimes gave one test the same address twice.
 */
export function randomIp(): string {
  return `198.${crypto.randomInt(18, 20)}.${crypto.randomInt(0, 256)}.${crypto.randomInt(1, 255)}`;
}

/** A parsed response; `body` is loosely typed because each test asserts on its own route's shape. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- see above
export type ApiResponse = { status: number; headers: Headers; body: any };

/** JSON request helper: returns status, headers and parsed body. */
export async function api(
  app: Pick<TestApp, 'api'>,
  method: string,
  path: string,
  options: { body?: unknown; headers?: Record<string, string>; token?: string } = {},
): Promise<ApiResponse> {
  const headers: Record<string, string> = { ...(options.headers ?? {}) };
  if (options.body !== undefined) headers['content-type'] = 'application/json';
  if (options.token) headers.authorization = `Bearer ${options.token}`;
  const res = await fetch(`${app.api}${path}`, {
    method,
    headers,
    body: options.body === undefined ? undefined : JSON.stringify(options.body),
  });
  const text = await res.text();
  let body: ApiResponse['body'] = text;
  try {
    body = text ? JSON.parse(text) : null;
  } catch {
    // not JSON: keep the text
  }
  return { status: res.status, headers: res.headers, body };
}

/** The `name=value` of the device cookie a sign-in response set (for a later login's Cookie header). */
export function deviceCookieOf(res: ApiResponse): string {
  const cookie = res.headers.getSetCookie().find((c) => c.startsWith('plexichat_device_'));
  if (!cookie) throw new Error(`no device cookie in the response (${res.status})`);
  return cookie.split(';')[0] ?? '';
}

/** A TOTP code as an authenticator app would show it, `offset` periods from now. */
export const totpCode = (secret: string, offset = 0): Promise<string> =>
  generate({ secret, epoch: Math.floor(Date.now() / 1000) + offset * 30 });

/** Turns 2FA on for `u` through the API (enable, then confirm); returns the secret and backup codes. */
export async function enableMfa(
  app: Pick<TestApp, 'api'>,
  u: Pick<TestUser, 'token'>,
): Promise<{ secret: string; backupCodes: string[] }> {
  const enabled = await api(app, 'POST', '/users/@me/mfa/totp/enable', { token: u.token });
  if (enabled.status !== 200) throw new Error(`mfa enable failed: ${enabled.status}`);
  const secret = enabled.body.secret as string;
  const confirmed = await api(app, 'POST', '/users/@me/mfa/totp/confirm', {
    token: u.token,
    body: { code: await totpCode(secret) },
  });
  if (confirmed.status !== 200) throw new Error(`mfa confirm failed: ${confirmed.status}`);
  return { secret, backupCodes: confirmed.body.backup_codes as string[] };
}

/** Registers a user through the API and gives them the instance admin flag (as `cli admin grant` does). */
export async function registerAdmin(app: TestApp): Promise<TestUser> {
  const admin = await registerUser(app);
  await setAdminByHand(app, admin.id, true);
  return admin;
}

/**
 * After a test changed `userId`'s row or sessions in the database itself (no command did): retires
 * the copies token checks read (shared/auth/session-cache.ts), as a command's invalidation would;
 * without it the change shows within security.session_cache_seconds, as an operator's hand edit.
 */
export async function editedByHand(app: Pick<TestApp, 'rt'>, userId: string): Promise<void> {
  await moveAccountEpochs(app.rt.redis, app.rt.config.redis.key_prefix, [userId]);
}

/** Sets or clears the instance admin flag in the database, for a test's set-up (see editedByHand). */
export async function setAdminByHand(
  app: Pick<TestApp, 'rt'>,
  userId: string,
  isAdmin: boolean,
): Promise<void> {
  await app.rt.models.User.update({ is_admin: isAdmin }, { where: { id: userId } });
  await editedByHand(app, userId);
}

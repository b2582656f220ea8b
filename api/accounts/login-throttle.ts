import type { Request } from 'express';
import { recordSecurityEvent } from '../../shared/auth/security-events.js';
import { sessionIdledOut } from '../../shared/auth/sessions.js';
import type { Row } from '../../shared/db/models/index.js';
import type { Runtime } from '../../shared/runtime.js';
import { AttemptRefused, type Attempt, type ThrottleKey, type Throttles } from '../security/throttle.js';
import { readDeviceCookie } from './device-cookie.js';

/**
 * Counts an attempt at something guessable (a password, a 2FA code, a reset token) before it is
 * judged (see Throttles.attempt) and records a `lockout` security event when this attempt is the
 * one that started a block. Routes that check secrets go through here, never check-then-count.
 */
export async function countAttempt(
  rt: Pick<Runtime, 'models' | 'snowflake' | 'logger'>,
  throttles: Throttles,
  who: { userId: string | null; ip: string; details?: Record<string, unknown> },
  ...keys: ThrottleKey[]
): Promise<Attempt> {
  try {
    return await throttles.attempt(...keys);
  } catch (err) {
    if (err instanceof AttemptRefused && err.lockedNow) {
      await recordSecurityEvent(rt, 'lockout', {
        userId: who.userId,
        ip: who.ip,
        details: { ...who.details, throttle: err.throttle },
      });
    }
    throw err;
  }
}

/** Where a login attempt comes from, as far as the lockout is concerned. */
type Source = { kind: 'device'; device: string } | { kind: 'known_ip' } | { kind: 'unknown' };

async function loginSource(rt: Runtime, req: Request, ip: string, user: Row<'User'> | null): Promise<Source> {
  if (!user) return { kind: 'unknown' };
  const device = readDeviceCookie(req, rt.config, user.id);
  if (device) return { kind: 'device', device };
  const session = await rt.models.Session.findOne({
    where: { user_id: user.id, ip, revoked_at: null, kind: 'user' },
    order: [['last_used_at', 'DESC']],
  });
  return session && !sessionIdledOut(rt.config, session) ? { kind: 'known_ip' } : { kind: 'unknown' };
}

/**
 * Counts a password attempt for `account` (a user id, or the typed login when no user has it)
 * against the throttles that apply to its source, before the password is checked:
 * - a device cookie of this account: only that device's counter (login_device);
 * - otherwise the IP's counter across accounts (login_ip) and the (account, IP) progressive delay;
 * - and, from a source the account does not know (no live session from this IP), the per-account
 *   counter (login_account), which therefore never locks out the owner's known devices.
 */
export async function countLoginAttempt(
  rt: Runtime,
  throttles: Throttles,
  req: Request,
  ip: string,
  user: Row<'User'> | null,
  account: string,
): Promise<Attempt> {
  const source = await loginSource(rt, req, ip, user);
  const who = { userId: user?.id ?? null, ip, details: { source: source.kind } };
  if (source.kind === 'device') return countAttempt(rt, throttles, who, ['login_device', source.device]);
  const keys: ThrottleKey[] = [
    ['login_ip', ip],
    ['login_backoff', `${account}:${ip}`],
  ];
  if (source.kind === 'unknown') keys.push(['login_account', account]);
  return countAttempt(rt, throttles, who, ...keys);
}

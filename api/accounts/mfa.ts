import crypto from 'node:crypto';
import { generateSecret, generateURI, verify } from 'otplib';
import { QueryTypes } from 'sequelize';
import type { SecretBox } from '../../shared/auth/secret-box.js';
import { hashToken } from '../../shared/auth/tokens.js';
import type { Row } from '../../shared/db/models/index.js';
import type { Runtime } from '../../shared/runtime.js';

/** How many one-time backup codes a user gets when 2FA is turned on. */
export const BACKUP_CODE_COUNT = 10;
const BACKUP_ALPHABET = 'abcdefghjkmnpqrstuvwxyz23456789';

function ticketKey(rt: Runtime, ticket: string): string {
  return `${rt.config.redis.key_prefix}:mfa_ticket:${hashToken(ticket).toString('hex')}`;
}

/** A short-lived ticket standing for "password verified, second factor pending". */
export async function createTicket(rt: Runtime, userId: string): Promise<string> {
  const ticket = crypto.randomBytes(32).toString('base64url');
  await rt.redis.set(ticketKey(rt, ticket), userId, 'EX', rt.config.security.mfa_ticket_ttl_seconds);
  return ticket;
}

/**
 * Claims one code attempt on a ticket, before the code is checked: the ticket's user, and whether
 * this is the last attempt it allows (a wrong code then kills it); null when the ticket is unknown,
 * expired, used, or had all its attempts. The count is an INCR, so however many requests race,
 * at most `security.throttle.mfa_account.points` codes are ever judged per ticket.
 */
export async function claimTicketAttempt(
  rt: Runtime,
  ticket: string,
): Promise<{ userId: string; exhausted: boolean } | null> {
  const key = ticketKey(rt, ticket);
  const results = await rt.redis
    .multi()
    .get(key)
    .incr(`${key}:tries`)
    .expire(`${key}:tries`, rt.config.security.mfa_ticket_ttl_seconds)
    .exec();
  const userId = results?.[0]?.[1];
  const tries = Number(results?.[1]?.[1]);
  if (typeof userId !== 'string') return null;
  const allowed = rt.config.security.throttle.mfa_account.points;
  if (tries > allowed) {
    await rt.redis.del(key);
    return null;
  }
  return { userId, exhausted: tries >= allowed };
}

/** Uses a ticket up; false when it was already used (two requests raced with the same ticket). */
export async function consumeTicket(rt: Runtime, ticket: string): Promise<boolean> {
  return (await rt.redis.del(ticketKey(rt, ticket))) === 1;
}

/** A new TOTP secret and its otpauth:// URL for authenticator apps. */
export function newTotpSecret(username: string): { secret: string; otpauth_url: string } {
  const secret = generateSecret();
  return { secret, otpauth_url: generateURI({ issuer: 'Plexichat', label: username, secret }) };
}

/**
 * Checks a TOTP code (one step of clock drift either way) and records its time step, refusing any
 * code from that step or an earlier one: a code works once. The step is claimed with a conditional
 * UPDATE, so two concurrent requests with the same code cannot both win.
 */
export async function verifyTotp(
  rt: Runtime,
  user: Row<'User'>,
  secret: string,
  code: string,
): Promise<boolean> {
  if (!/^\d{6}$/.test(code)) return false;
  const last = user.mfa_last_time_step === null ? undefined : Number(user.mfa_last_time_step);
  let result;
  try {
    result = await verify({ secret, token: code, epochTolerance: 30, afterTimeStep: last });
  } catch {
    return false;
  }
  if (!result.valid || !('timeStep' in result)) return false;
  const step = result.timeStep;
  // Raw SQL, so no epoch moves: the last used time step is in no cached value (member lists show
  // names and avatars; that is why user writes through the ORM move the global epoch).
  const claimed = await rt.sequelize.query(
    `UPDATE users SET mfa_last_time_step = $1
      WHERE id = $2 AND (mfa_last_time_step IS NULL OR mfa_last_time_step < $1) RETURNING id`,
    { bind: [step, user.id], type: QueryTypes.SELECT },
  );
  if (claimed.length === 0) return false;
  user.mfa_last_time_step = String(step);
  return true;
}

function normalizeBackupCode(code: string): string {
  return code.toLowerCase().replace(/[^a-z0-9]/g, '');
}

/** Replaces the user's backup codes with ten new ones; returns them (only their hashes are kept). */
export async function generateBackupCodes(rt: Runtime, userId: string): Promise<string[]> {
  const codes = Array.from({ length: BACKUP_CODE_COUNT }, () => {
    const chars = Array.from(crypto.randomBytes(10), (b) => BACKUP_ALPHABET[b % BACKUP_ALPHABET.length]).join(
      '',
    );
    return `${chars.slice(0, 5)}-${chars.slice(5)}`;
  });
  await rt.sequelize.transaction(async (transaction) => {
    await rt.models.MfaBackupCode.destroy({ where: { user_id: userId }, transaction });
    await rt.models.MfaBackupCode.bulkCreate(
      codes.map((code) => ({
        id: rt.snowflake.next(),
        user_id: userId,
        code_hash: hashToken(normalizeBackupCode(code)),
      })),
      { transaction },
    );
  });
  return codes;
}

/** Spends a backup code; false when it is not one of the user's unused codes. */
export async function useBackupCode(rt: Runtime, userId: string, code: string): Promise<boolean> {
  const normalized = normalizeBackupCode(code);
  if (normalized.length !== 10) return false;
  const used = await rt.sequelize.query(
    `UPDATE mfa_backup_codes SET used_at = now()
      WHERE user_id = $1 AND code_hash = $2 AND used_at IS NULL RETURNING id`,
    { bind: [userId, hashToken(normalized)], type: QueryTypes.SELECT },
  );
  return used.length > 0;
}

/** Checks a second factor: a TOTP code or a backup code. */
export async function verifySecondFactor(
  rt: Runtime,
  box: SecretBox,
  user: Row<'User'>,
  code: string,
): Promise<'totp' | 'backup' | null> {
  if (!user.mfa_enabled || !user.mfa_secret) return null;
  const trimmed = code.trim();
  if (/^\d{6}$/.test(trimmed))
    return (await verifyTotp(rt, user, box.open(user.mfa_secret), trimmed)) ? 'totp' : null;
  return (await useBackupCode(rt, user.id, trimmed)) ? 'backup' : null;
}

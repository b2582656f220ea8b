import {
  issueAccountToken,
  sendPasswordResetMail,
  TOKEN_TTL_MINUTES,
} from '../../accounts/account-tokens.js';
import { createUser } from '../../accounts/create-user.js';
import { revokeAllSessionRows, sessionsRevoked } from '../../accounts/sessions.js';
import { recordSecurityEvent } from '../../auth/security-events.js';
import type { Row } from '../../db/models/index.js';
import { ApiError, ConflictError } from '../../errors.js';
import { rooms } from '../../events/index.js';
import { runCommand } from '../../outbox/index.js';
import { presentSelf } from '../../presenters/user.js';
import type { Runtime } from '../../runtime.js';
import { requireUser } from '../members/present.js';
import { operatorTurnOffMfa } from './mfa.js';

/**
 * What instance operators do to accounts (create, disable, sign out, recover access, the admin
 * flag), shared by the admin API (dashboard) and the CLI; each is recorded as a security event
 * naming who did it (`details.by`, an admin's id, or "cli") and how (`details.via`).
 */
export interface Operator {
  /** The admin's user id, or null for the CLI (a shell on the server). */
  adminId: string | null;
  via: 'admin_api' | 'cli';
  ip: string | null;
}

type Rt = Pick<Runtime, 'models' | 'snowflake' | 'config' | 'queues' | 'sequelize' | 'logger'>;

function details(operator: Operator): Record<string, unknown> {
  return { by: operator.adminId ?? 'cli', via: operator.via };
}

function refuseBots(user: Row<'User'>): void {
  if (user.is_bot) throw new ApiError(400, 'bot_account', 'Bot accounts have no password or 2FA');
}

/** Mails `user` a password reset link (503 `email_disabled` without SMTP, 400 `no_email`). */
export async function operatorSendResetMail(
  rt: Rt,
  user: Row<'User'>,
  operator: Operator,
): Promise<{ expires_at: number }> {
  refuseBots(user);
  await sendPasswordResetMail(rt, user);
  await recordSecurityEvent(rt, 'password_reset_requested', {
    userId: user.id,
    ip: operator.ip,
    details: details(operator),
  });
  return { expires_at: resetExpiry() };
}

/** When a reset link issued now stops working, in unix seconds. */
function resetExpiry(): number {
  return Math.floor(Date.now() / 1000) + TOKEN_TTL_MINUTES.password_reset * 60;
}

/** A one-time reset link for the operator to hand over themselves (works without SMTP). */
export async function operatorIssueResetLink(
  rt: Rt,
  user: Row<'User'>,
  operator: Operator,
): Promise<{ link: string; expires_at: number }> {
  refuseBots(user);
  const link = await issueAccountToken(rt, user, 'password_reset');
  await recordSecurityEvent(rt, 'password_reset_link_issued', {
    userId: user.id,
    ip: operator.ip,
    details: details(operator),
  });
  return { link, expires_at: resetExpiry() };
}

/** Turns `user`'s 2FA off (400 `mfa_not_enabled` when it was not on); recorded as `mfa_disabled`. */
export async function operatorDisableMfa(rt: Runtime, user: Row<'User'>, operator: Operator): Promise<void> {
  await operatorTurnOffMfa(rt, user.id, { ip: operator.ip, details: details(operator) });
}

/**
 * Creates an account whatever `auth.registration` says (POST /admin/users, the CLI's `user create`
 * and `admin create`): 409 `username_taken` or `email_taken`. Recorded as `account_created`.
 */
export async function operatorCreateAccount(
  rt: Runtime,
  fields: { username: string; password: string; email?: string | null; isAdmin?: boolean },
  operator: Operator,
): Promise<Row<'User'>> {
  const user = await runCommand(rt, null, (transaction) => createUser(rt, fields, transaction));
  await recordSecurityEvent(rt, 'account_created', {
    userId: user.id,
    ip: operator.ip,
    details: { ...details(operator), admin: fields.isAdmin ?? false },
  });
  return user;
}

/**
 * Disables an account (every session ends and its connections close, sign-in is refused) or
 * enables it again (PATCH /admin/users/{id}). An admin cannot disable themselves (400
 * `cannot_disable_self`); a deleted account (409 `account_deleted`) or a bot whose application
 * was deleted (409 `application_deleted`) cannot come back. Idempotent: only a change is recorded
 * (`account_disabled` with the sessions it ended, `account_enabled`).
 */
export async function operatorSetDisabled(
  rt: Runtime,
  userId: string,
  disabled: boolean,
  operator: Operator,
): Promise<void> {
  if (disabled && userId === operator.adminId) {
    throw new ApiError(400, 'cannot_disable_self', 'You cannot disable your own account', {
      user_id: 'is your own account',
    });
  }
  const outcome = await runCommand(rt, rooms.user(userId), async (transaction, fx) => {
    const user = await requireUser(rt, userId, transaction);
    if (disabled) {
      if (user.disabled_at) return null;
      // The flag and the revocation commit together, so no session can be opened between them
      // and a crash cannot leave a disabled account signed in.
      user.disabled_at = new Date();
      await user.save({ fields: ['disabled_at'], transaction });
      fx.invalidate({ accounts: [userId] });
      return revokeAllSessionRows(rt, userId, transaction, fx);
    }
    if (!user.disabled_at) return null;
    if (user.deleted_at)
      throw new ConflictError('account_deleted', 'This account was deleted; it cannot come back');
    if (
      user.is_bot &&
      (await rt.models.Application.count({ where: { bot_user_id: userId }, transaction })) === 0
    ) {
      throw new ConflictError(
        'application_deleted',
        'This bot’s application was deleted; it cannot come back',
      );
    }
    user.disabled_at = null;
    await user.save({ fields: ['disabled_at'], transaction });
    fx.invalidate({ accounts: [userId] });
    return { sessions: [] };
  });
  if (!outcome) return;
  if (!disabled) {
    await recordSecurityEvent(rt, 'account_enabled', {
      userId,
      ip: operator.ip,
      details: { by: operator.adminId },
    });
    return;
  }
  await sessionsRevoked(rt, outcome.sessions, 'account_disabled', { ip: operator.ip });
  await recordSecurityEvent(rt, 'account_disabled', {
    userId,
    ip: operator.ip,
    details: { by: operator.adminId, revoked_sessions: outcome.sessions.length },
  });
}

/**
 * Signs an account out everywhere (POST /admin/users/{id}/logout): every session revoked, every
 * gateway connection closed. Recorded as `forced_logout`; returns how many sessions ended.
 */
export async function operatorForceLogout(
  rt: Runtime,
  userId: string,
  operator: Operator,
): Promise<{ revoked_sessions: number }> {
  const { sessions } = await runCommand(rt, rooms.user(userId), async (transaction, fx) => {
    await requireUser(rt, userId, transaction);
    return revokeAllSessionRows(rt, userId, transaction, fx);
  });
  await sessionsRevoked(rt, sessions, 'forced_logout', { ip: operator.ip });
  await recordSecurityEvent(rt, 'forced_logout', {
    userId,
    ip: operator.ip,
    details: { by: operator.adminId, revoked_sessions: sessions.length },
  });
  return { revoked_sessions: sessions.length };
}

/**
 * Gives or takes the instance admin flag (the CLI's `admin grant` / `admin revoke`); bots never
 * hold it (400 `bot_account`). The user's connections hear USER_UPDATE (`admin`). Returns whether
 * it was held before.
 */
export async function operatorSetAdmin(rt: Runtime, userId: string, isAdmin: boolean): Promise<boolean> {
  return runCommand(rt, rooms.user(userId), async (transaction, fx) => {
    const user = await requireUser(rt, userId, transaction);
    if (user.is_bot) throw new ApiError(400, 'bot_account', 'Bot accounts cannot be admins');
    const was = user.is_admin;
    if (was === isAdmin) return was;
    user.is_admin = isAdmin;
    await user.save({ fields: ['is_admin'], transaction });
    fx.invalidate({ accounts: [userId] });
    fx.dispatch([rooms.user(userId)], 'USER_UPDATE', presentSelf(rt.config, user));
    return was;
  });
}

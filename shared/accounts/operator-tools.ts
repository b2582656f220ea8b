import { recordSecurityEvent } from '../auth/security-events.js';
import type { Row } from '../db/models/index.js';
import { ApiError } from '../errors.js';
import type { Runtime } from '../runtime.js';
import { issueAccountToken, sendPasswordResetMail, TOKEN_TTL_MINUTES, turnOffMfa } from './account-tokens.js';

/**
 * What instance operators do for a user who lost access, shared by the admin API (dashboard) and
 * the CLI; each is recorded as a security event naming who did it (`details.by`, an admin's id,
 * or "cli") and how (`details.via`).
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
export async function operatorDisableMfa(rt: Rt, user: Row<'User'>, operator: Operator): Promise<void> {
  refuseBots(user);
  if (!user.mfa_enabled) throw new ApiError(400, 'mfa_not_enabled', 'Two-factor authentication is not on');
  await turnOffMfa(rt, user);
  await recordSecurityEvent(rt, 'mfa_disabled', {
    userId: user.id,
    ip: operator.ip,
    details: details(operator),
  });
}

import type { Runtime } from '../runtime.js';
import { decodeSnowflake } from '../snowflake.js';

/** Every kind of security event recorded (GET /admin/security-events filters by these). */
export const SECURITY_EVENT_TYPES = [
  'login_success',
  'login_failure',
  'mfa_enabled',
  'mfa_disabled',
  'mfa_failure',
  'backup_code_used',
  'session_revoked',
  'password_changed',
  'ip_blocked',
  'lockout',
  /** A used OAuth2 code or a rotated refresh token came back: the whole grant was revoked. */
  'oauth2_token_reuse',
  /** An instance admin disabled or re-enabled an account, or signed it out everywhere (`details.by`). */
  'account_disabled',
  'account_enabled',
  'forced_logout',
  /** An account was deleted by its owner or an admin (`details.by`: `self`, an admin's id, or `cli`). */
  'account_deleted',
  /** A password reset mail was queued (`details.by`: the admin who sent it, absent when the user asked). */
  'password_reset_requested',
  /** An admin issued a one-time reset link (dashboard or CLI) instead of mailing it. */
  'password_reset_link_issued',
  /** A password was set through a reset link: every session ended. */
  'password_reset',
  'email_verified',
  /** An instance admin created the account (dashboard or CLI; `details.by`). */
  'account_created',
] as const;
export type SecurityEventType = (typeof SECURITY_EVENT_TYPES)[number];

/** Records a security event. Never throws: losing the record must not fail the request it describes. */
export async function recordSecurityEvent(
  rt: Pick<Runtime, 'models' | 'snowflake' | 'logger'>,
  type: SecurityEventType,
  fields: { userId?: string | null; ip?: string | null; details?: Record<string, unknown> } = {},
): Promise<void> {
  const id = rt.snowflake.next();
  try {
    await rt.models.SecurityEvent.create({
      id,
      type,
      user_id: fields.userId ?? null,
      ip: fields.ip ?? null,
      details: fields.details ?? {},
      created_at: new Date(decodeSnowflake(id).timestampMs),
    });
  } catch (err) {
    rt.logger.error({ err, type, user: fields.userId }, 'could not record security event');
  }
}

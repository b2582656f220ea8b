import { QueryTypes, type Transaction } from 'sequelize';
import { generateToken, hashToken } from '../auth/tokens.js';
import type { AccountTokenPurpose, Row } from '../db/models/index.js';
import { ApiError } from '../errors.js';
import { queueMail, requireMail, tokenLink } from '../mail/index.js';
import type { Runtime } from '../runtime.js';
import { decodeSnowflake } from '../snowflake.js';

/** How long a mailed token works (API.md: a reset link is valid one hour). */
export const TOKEN_TTL_MINUTES: Record<AccountTokenPurpose, number> = {
  password_reset: 60,
  email_verify: 24 * 60,
};

/** The pages mailed links open (the API role serves them; they POST the token to the API). */
export const LINK_PATHS: Record<AccountTokenPurpose, string> = {
  password_reset: '/reset-password',
  email_verify: '/verify-email',
};

type Rt = Pick<Runtime, 'models' | 'snowflake' | 'config' | 'queues' | 'sequelize'>;

/** 400 `invalid_token`: unknown, used, expired, or for something else. */
export function invalidToken(): ApiError {
  return new ApiError(400, 'invalid_token', 'This link is invalid, used or expired', {
    token: 'is invalid, used or expired',
  });
}

/** Stores a new single-use token for `user` (only its hash) and returns the link that carries it. */
export async function issueAccountToken(
  rt: Rt,
  user: Row<'User'>,
  purpose: AccountTokenPurpose,
  transaction?: Transaction,
): Promise<string> {
  const token = generateToken();
  const id = rt.snowflake.next();
  const created = new Date(decodeSnowflake(id).timestampMs);
  await rt.models.AccountToken.create(
    {
      id,
      user_id: user.id,
      purpose,
      token_hash: hashToken(token),
      email: purpose === 'email_verify' ? user.email : null,
      created_at: created,
      expires_at: new Date(created.getTime() + TOKEN_TTL_MINUTES[purpose] * 60_000),
    },
    { transaction },
  );
  return tokenLink(rt.config, LINK_PATHS[purpose], token);
}

/**
 * Uses a token up: one conditional UPDATE, so of two requests with the same token exactly one
 * wins. Returns whose it was (and the address it verifies), or throws 400 `invalid_token`.
 */
export async function consumeAccountToken(
  rt: Pick<Runtime, 'sequelize'>,
  token: string,
  purpose: AccountTokenPurpose,
  transaction?: Transaction,
): Promise<{ user_id: string; email: string | null }> {
  const rows = await rt.sequelize.query<{ user_id: string; email: string | null }>(
    `UPDATE account_tokens SET used_at = now()
      WHERE token_hash = $1 AND purpose = $2 AND used_at IS NULL AND expires_at > now()
      RETURNING user_id, email`,
    { bind: [hashToken(token), purpose], type: QueryTypes.SELECT, transaction },
  );
  const row = rows[0];
  if (!row) throw invalidToken();
  return { user_id: String(row.user_id), email: row.email };
}

/** Marks every unused token of `userId` for `purpose` used (a reset ends the other reset links). */
export async function retireAccountTokens(
  rt: Pick<Runtime, 'models'>,
  userId: string,
  purpose: AccountTokenPurpose,
  transaction?: Transaction,
): Promise<void> {
  await rt.models.AccountToken.update(
    { used_at: new Date() },
    { where: { user_id: userId, purpose, used_at: null }, transaction },
  );
}

/** Checks `user` can be mailed (503 `email_disabled` without SMTP, 400 `no_email`); returns the address. */
function mailableAddress(rt: Rt, user: Row<'User'>): string {
  requireMail(rt.config);
  if (!user.email) throw new ApiError(400, 'no_email', 'This account has no email address');
  return user.email;
}

/**
 * Issues a token for `purpose` (the earlier ones of an email verification retired in the same
 * transaction) and queues the mail carrying its link to `to`. The mail is queued after the commit,
 * not through the outbox: an outbox row would keep the live link in Postgres (and its WAL and
 * backups); a mail lost to a crash in between is asked for again.
 */
async function mailToken(rt: Rt, user: Row<'User'>, purpose: AccountTokenPurpose, to: string): Promise<void> {
  const link = await rt.sequelize.transaction(async (transaction) => {
    if (purpose === 'email_verify') await retireAccountTokens(rt, user.id, purpose, transaction);
    return issueAccountToken(rt, user, purpose, transaction);
  });
  await queueMail(rt, {
    kind: purpose,
    to,
    username: user.username,
    link,
    valid_minutes: TOKEN_TTL_MINUTES[purpose],
  });
}

/** Mails `user` a password reset link (503 `email_disabled` without SMTP; 400 when they have no email). */
export async function sendPasswordResetMail(rt: Rt, user: Row<'User'>): Promise<void> {
  await mailToken(rt, user, 'password_reset', mailableAddress(rt, user));
}

/**
 * Mails `user` a link verifying their current email. Earlier verification links stop working
 * (only the newest address counts). 503 without SMTP; 400 when there is no email or it is verified.
 */
export async function sendVerificationMail(rt: Rt, user: Row<'User'>): Promise<void> {
  const to = mailableAddress(rt, user);
  if (user.email_verified_at) throw new ApiError(400, 'already_verified', 'This email is already verified');
  await mailToken(rt, user, 'email_verify', to);
}

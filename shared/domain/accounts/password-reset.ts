import {
  consumeAccountToken,
  invalidToken,
  retireAccountTokens,
  sendPasswordResetMail,
} from '../../accounts/account-tokens.js';
import { findUserByLogin } from '../../accounts/find-user.js';
import { revokeAllSessionRows, sessionsRevoked } from '../../accounts/sessions.js';
import { hashPassword } from '../../auth/password.js';
import { recordSecurityEvent } from '../../auth/security-events.js';
import { rooms } from '../../events/index.js';
import { runCommand } from '../../outbox/index.js';
import type { Runtime } from '../../runtime.js';

/**
 * Mails a reset link when `login` names an enabled person with an email (POST
 * /auth/password/forgot); silent otherwise, so the answer tells nothing. `allow` spends one of the
 * account's mails (keyed by the user id, or by the login when it names nobody, so both cost the
 * same round trip); false: no mail. Recorded as `password_reset_requested`.
 */
export async function requestPasswordReset(
  rt: Runtime,
  login: string,
  client: { ip: string },
  allow: (account: string) => Promise<boolean>,
): Promise<void> {
  const user = await findUserByLogin(rt, login);
  const eligible = user !== null && !user.is_bot && !user.disabled_at && user.email !== null;
  const allowed = await allow(eligible ? user.id : `login:${login.toLowerCase()}`);
  if (!eligible || !allowed) return;
  await sendPasswordResetMail(rt, user);
  await recordSecurityEvent(rt, 'password_reset_requested', { userId: user.id, ip: client.ip });
}

/**
 * Sets a new password with a reset link's token (POST /auth/password/reset): 400 `invalid_token`
 * when it is unknown, used or expired, or its account is disabled or a bot (then it is not used
 * up). In one transaction: the token and every other reset link of the account are used up, the
 * password changes and every session ends (connections close after the commit). Recorded as
 * `password_reset`. 2FA stays as it was.
 */
export async function resetPassword(
  rt: Runtime,
  token: string,
  password: string,
  client: { ip: string },
): Promise<void> {
  const { userId, revoked } = await runCommand(rt, null, async (transaction, fx) => {
    const { user_id } = await consumeAccountToken(rt, token, 'password_reset', transaction);
    fx.orderKey = rooms.user(user_id);
    const user = await rt.models.User.findByPk(user_id, { transaction, lock: transaction.LOCK.UPDATE });
    // Rolls the use back too: a token of a disabled account stays as it was.
    if (!user || user.disabled_at || user.is_bot) throw invalidToken();
    // Hashed only once the token is known good (scrypt is costly: a guessed token must stay cheap),
    // while the row is locked (a sign-in of this account waits for the reset, as it should).
    user.password_hash = await hashPassword(password, rt.config.security.scrypt_cost);
    user.password_changed_at = new Date();
    await user.save({ fields: ['password_hash', 'password_changed_at'], transaction });
    fx.invalidate({ accounts: [user.id] });
    await retireAccountTokens(rt, user.id, 'password_reset', transaction);
    return { userId: user.id, revoked: await revokeAllSessionRows(rt, user.id, transaction, fx) };
  });
  await sessionsRevoked(rt, revoked.sessions, 'password_reset', client);
  await recordSecurityEvent(rt, 'password_reset', {
    userId,
    ip: client.ip,
    details: { revoked_sessions: revoked.sessions.length },
  });
}

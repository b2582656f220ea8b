import type { Transaction } from 'sequelize';
import { verifySecondFactor } from '../../accounts/second-factor.js';
import { issueSession, type ClientInfo } from '../../accounts/sessions.js';
import { hashPassword, needsRehash } from '../../auth/password.js';
import type { SecretBox } from '../../auth/secret-box.js';
import { recordSecurityEvent } from '../../auth/security-events.js';
import type { Row } from '../../db/models/index.js';
import { ApiError } from '../../errors.js';
import { runCommand } from '../../outbox/index.js';
import type { Runtime } from '../../runtime.js';

/**
 * Opens a session for `user` once the API has checked who they are (a password, an external
 * provider's login code): 403 `account_disabled` for a disabled account (checked in the
 * transaction, so a disabling that commits first wins). Recorded as `login_success` with `details`
 * (how). Returns the session's token, shown once.
 */
export async function signIn(
  rt: Runtime,
  user: Row<'User'>,
  client: ClientInfo,
  details?: Record<string, unknown>,
): Promise<{ token: string }> {
  const { token } = await runCommand(rt, null, async (transaction) => {
    // A share lock: a concurrent disabling (which locks the row for update) waits for this, or this for it.
    const row = await enabledUser(rt, user.id, transaction, transaction.LOCK.SHARE);
    return issueSession(rt, row, client, 'user', transaction);
  });
  await recordSecurityEvent(rt, 'login_success', {
    userId: user.id,
    ip: client.ip,
    ...(details ? { details } : {}),
  });
  return { token };
}

/** The user's row, locked with `lock` in `transaction`; 403 `account_disabled` when disabled or gone. */
async function enabledUser(
  rt: Runtime,
  userId: string,
  transaction: Transaction,
  lock: Transaction['LOCK'][keyof Transaction['LOCK']],
): Promise<Row<'User'>> {
  const row = await rt.models.User.findByPk(userId, { transaction, lock });
  if (!row || row.disabled_at) throw new ApiError(403, 'account_disabled', 'This account is disabled');
  return row;
}

/**
 * The second step of a 2FA sign-in (POST /auth/mfa/totp), after its ticket's attempt was counted:
 * in one transaction, the TOTP code's time step or the backup code is spent, `useTicket` uses the
 * login ticket up (it throws when another request used it first), and the session opens. So a
 * code is spent only by the sign-in it opened: a refused or failed one (ticket used meanwhile,
 * account disabled) rolls its claim back. The user's row is locked first, so sign-ins of one
 * account are judged one at a time against committed codes: of concurrent ones with the same TOTP
 * code or backup code exactly one succeeds. Returns null for a wrong or spent code (nothing
 * changed); else the token, the user and the factor, recorded as `backup_code_used` (a backup
 * code) and `login_success` (`{mfa: factor}`).
 */
export async function signInWithSecondFactor(
  rt: Runtime,
  box: SecretBox,
  input: { userId: string; code: string; client: ClientInfo; useTicket: () => Promise<void> },
): Promise<{ token: string; user: Row<'User'>; factor: 'totp' | 'backup' } | null> {
  const { userId, client } = input;
  const done = await runCommand(rt, null, async (transaction) => {
    // NO KEY UPDATE, as the step's UPDATE takes anyway: a disabling waits, rows naming the user do not.
    const row = await enabledUser(rt, userId, transaction, transaction.LOCK.NO_KEY_UPDATE);
    const factor = await verifySecondFactor(rt, box, row, input.code, { spend: true, transaction });
    if (!factor) return null;
    await input.useTicket();
    const { token } = await issueSession(rt, row, client, 'user', transaction);
    return { token, user: row, factor };
  });
  if (!done) return null;
  if (done.factor === 'backup') await recordSecurityEvent(rt, 'backup_code_used', { userId, ip: client.ip });
  await recordSecurityEvent(rt, 'login_success', { userId, ip: client.ip, details: { mfa: done.factor } });
  return done;
}

/**
 * After a successful password check: a hash made with weaker parameters than security.scrypt_cost
 * now asks for is replaced (the password is at hand only now). Best effort: the login goes on.
 * Only the hash's parameters change, which nobody sees: no event.
 */
export async function rehashIfWeak(rt: Runtime, user: Row<'User'>, password: string): Promise<void> {
  const cost = rt.config.security.scrypt_cost;
  if (!user.password_hash || !needsRehash(user.password_hash, cost)) return;
  try {
    const fresh = await hashPassword(password, cost);
    await runCommand(rt, null, async (transaction, fx) => {
      await rt.models.User.update(
        { password_hash: fresh },
        // Only if nobody changed the password meanwhile.
        { where: { id: user.id, password_hash: user.password_hash }, transaction },
      );
      fx.invalidate({ accounts: [user.id] });
    });
    user.password_hash = fresh;
  } catch (err) {
    rt.logger.warn({ err, userId: user.id }, 'password rehash failed');
  }
}

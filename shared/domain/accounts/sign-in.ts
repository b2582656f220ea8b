import { issueSession, type ClientInfo } from '../../accounts/sessions.js';
import { hashPassword, needsRehash } from '../../auth/password.js';
import { recordSecurityEvent } from '../../auth/security-events.js';
import type { Row } from '../../db/models/index.js';
import { ApiError } from '../../errors.js';
import { runCommand } from '../../outbox/index.js';
import type { Runtime } from '../../runtime.js';

/**
 * Opens a session for `user` once the API has checked who they are (a password, a second factor,
 * an external provider's login code): 403 `account_disabled` for a disabled account (checked in
 * the transaction, so a disabling that commits first wins). Recorded as `login_success` with
 * `details` (how). Returns the session's token, shown once.
 */
export async function signIn(
  rt: Runtime,
  user: Row<'User'>,
  client: ClientInfo,
  details?: Record<string, unknown>,
): Promise<{ token: string }> {
  const { token } = await runCommand(rt, null, async (transaction) => {
    // A share lock: a concurrent disabling (which locks the row for update) waits for this, or this for it.
    const row = await rt.models.User.findByPk(user.id, { transaction, lock: transaction.LOCK.SHARE });
    if (!row || row.disabled_at) throw new ApiError(403, 'account_disabled', 'This account is disabled');
    return issueSession(rt, row, client, 'user', transaction);
  });
  await recordSecurityEvent(rt, 'login_success', {
    userId: user.id,
    ip: client.ip,
    ...(details ? { details } : {}),
  });
  return { token };
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
    await runCommand(rt, null, (transaction) =>
      rt.models.User.update(
        { password_hash: fresh },
        // Only if nobody changed the password meanwhile.
        { where: { id: user.id, password_hash: user.password_hash }, transaction },
      ),
    );
    user.password_hash = fresh;
  } catch (err) {
    rt.logger.warn({ err, userId: user.id }, 'password rehash failed');
  }
}

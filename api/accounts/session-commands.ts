import { Op, type Transaction } from 'sequelize';
import { revokeSessionRows, revokeSessions, sessionsRevoked } from '../../shared/accounts/sessions.js';
import { runCommand } from '../../shared/outbox/index.js';
import { rooms } from '../../shared/events/index.js';
import type { Runtime } from '../../shared/runtime.js';

export { issueSession, revokeSessions, type ClientInfo } from '../../shared/accounts/sessions.js';

/** Revokes every live session of `userId` except `keepSessionId` (a password change). */
export async function revokeOtherSessions(
  rt: Runtime,
  userId: string,
  keepSessionId: string,
  ip: string,
): Promise<void> {
  const others = await rt.models.Session.findAll({
    where: { user_id: userId, revoked_at: null, id: { [Op.ne]: keepSessionId } },
  });
  await revokeSessions(rt, others, 'password_changed', { ip });
}

/**
 * Ends every live session of `userId` and closes all its gateway connections (a disabled account,
 * a forced logout, a password reset); returns how many sessions ended. `alongside` writes in the
 * same transaction first (disabling the account commits with the revocation, or neither does).
 */
export async function revokeAllSessions(
  rt: Runtime,
  userId: string,
  reason: string,
  ip: string,
  alongside?: (transaction: Transaction) => Promise<void>,
): Promise<number> {
  const sessions = await runCommand(rt, rooms.user(userId), async (transaction, fx) => {
    await alongside?.(transaction);
    const live = await rt.models.Session.findAll({
      where: { user_id: userId, revoked_at: null },
      transaction,
    });
    await revokeSessionRows(rt, live, transaction, fx);
    // Also every other connection of the user: one whose session opened meanwhile goes too.
    fx.disconnect(rooms.user(userId));
    return live;
  });
  await sessionsRevoked(rt, sessions, reason, { ip });
  return sessions.length;
}

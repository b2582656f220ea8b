import { Op } from 'sequelize';
import { revokeSessions } from '../../shared/accounts/sessions.js';
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
 * a forced logout, a password reset); returns how many sessions ended.
 */
export async function revokeAllSessions(
  rt: Runtime,
  userId: string,
  reason: string,
  ip: string,
): Promise<number> {
  const sessions = await rt.models.Session.findAll({ where: { user_id: userId, revoked_at: null } });
  await revokeSessions(rt, sessions, reason, { ip });
  // Also every other connection of the user: one whose session opened while this ran goes too.
  await rt.events
    .disconnect(rooms.user(userId))
    .catch((err: Error) =>
      rt.logger.warn({ err: err.message, user: userId }, 'could not close user sockets'),
    );
  return sessions.length;
}

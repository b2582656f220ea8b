import { Op } from 'sequelize';
import { recordSecurityEvent } from '../../shared/auth/security-events.js';
import type { Row } from '../../shared/db/models/index.js';
import { rooms } from '../../shared/events/index.js';
import type { Runtime } from '../../shared/runtime.js';
import { forgetSessionSubscriptions } from '../push/subscriptions.js';

export { issueSession, type ClientInfo } from '../../shared/accounts/sessions.js';

/**
 * Revokes sessions: their tokens fail from the next request on, and their gateway connections
 * are closed at once (every gateway process holds them in the session's room).
 */
export async function revokeSessions(
  rt: Runtime,
  sessions: Row<'Session'>[],
  reason: string,
  client: { ip: string },
): Promise<void> {
  if (sessions.length === 0) return;
  await rt.models.Session.update(
    { revoked_at: new Date() },
    { where: { id: sessions.map((s) => s.id), revoked_at: null } },
  );
  await forgetSessionSubscriptions(rt, sessions);
  for (const session of sessions) {
    await rt.events
      .disconnect(rooms.session(session.id))
      .catch((err: Error) =>
        rt.logger.warn({ err: err.message, session: session.id }, 'could not close revoked session sockets'),
      );
    await recordSecurityEvent(rt, 'session_revoked', {
      userId: session.user_id,
      ip: client.ip,
      details: { session_id: session.id, reason },
    });
  }
}

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

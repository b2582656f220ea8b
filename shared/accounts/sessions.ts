import { Op, type Transaction } from 'sequelize';
import { generateToken, hashToken } from '../auth/tokens.js';
import type { Attributes, Row } from '../db/models/index.js';
import { recordSecurityEvent } from '../auth/security-events.js';
import { rememberSessionOwner } from '../auth/session-cache.js';
import { rooms } from '../events/index.js';
import type { Effects } from '../outbox/effects.js';
import { runCommand } from '../outbox/index.js';
import type { Runtime } from '../runtime.js';
import { decodeSnowflake } from '../snowflake.js';

/** Where a session was opened from. */
export interface ClientInfo {
  ip: string;
  userAgent: string | null;
}

/** Opens a session for `user` and returns its token (shown once; only its hash is stored). */
export async function issueSession(
  rt: Runtime,
  user: Row<'User'>,
  client: ClientInfo,
  kind: 'user' | 'bot' = 'user',
  transaction?: Transaction,
): Promise<{ token: string; session: Row<'Session'> }> {
  const token = generateToken();
  const id = rt.snowflake.next();
  const now = new Date(decodeSnowflake(id).timestampMs);
  const session = await rt.models.Session.create(
    {
      id,
      user_id: user.id,
      token_hash: hashToken(token),
      ip: client.ip,
      user_agent: client.userAgent?.slice(0, 512) ?? null,
      created_at: now,
      last_used_at: now,
      kind,
    },
    { transaction },
  );
  await rememberSessionOwner(rt, session.token_hash, user.id);
  return { token, session };
}

/**
 * Revokes `sessions` in a command's transaction: their tokens fail from the commit on, the push
 * subscriptions their browsers registered go, and their gateway connections close after the commit
 * (every gateway process holds them in the session's room), and the subscriber flags of the users
 * who lost push subscriptions follow (an outbox refresh).
 */
export async function revokeSessionRows(
  rt: Pick<Runtime, 'models'>,
  sessions: Attributes<'Session'>[],
  transaction: Transaction,
  fx: Effects,
): Promise<void> {
  if (sessions.length === 0) return;
  const ids = sessions.map((s) => s.id);
  await rt.models.Session.update(
    { revoked_at: new Date() },
    { where: { id: ids, revoked_at: null }, transaction },
  );
  const pushed = await rt.models.PushSubscription.findAll({
    attributes: ['user_id'],
    where: { session_id: ids },
    transaction,
  });
  if (pushed.length > 0)
    await rt.models.PushSubscription.destroy({ where: { session_id: ids }, transaction });
  for (const id of ids) fx.disconnect(rooms.session(id));
  fx.invalidate({ accounts: [...new Set(sessions.map((s) => s.user_id))] });
  fx.refresh(
    'push',
    pushed.map((p) => p.user_id),
  );
}

/** After revokeSessionRows' commit: one `session_revoked` security event each. */
export async function sessionsRevoked(
  rt: Pick<Runtime, 'models' | 'snowflake' | 'logger' | 'config' | 'redis'>,
  sessions: Attributes<'Session'>[],
  reason: string,
  client: { ip: string | null },
): Promise<void> {
  for (const session of sessions) {
    await recordSecurityEvent(rt, 'session_revoked', {
      userId: session.user_id,
      ip: client.ip,
      details: { session_id: session.id, reason },
    });
  }
}

/**
 * Revokes sessions as one command (logout, the session list, password changes): see
 * revokeSessionRows and sessionsRevoked.
 */
export async function revokeSessions(
  rt: Runtime,
  sessions: Attributes<'Session'>[],
  reason: string,
  client: { ip: string },
): Promise<void> {
  if (sessions.length === 0) return;
  await runCommand(rt, null, (transaction, fx) => revokeSessionRows(rt, sessions, transaction, fx));
  await sessionsRevoked(rt, sessions, reason, client);
}

/** Revokes every live session of `userId` except `keepSessionId` in a command's transaction. */
export async function revokeOtherSessionRows(
  rt: Pick<Runtime, 'models'>,
  userId: string,
  keepSessionId: string,
  transaction: Transaction,
  fx: Effects,
): Promise<{ sessions: Row<'Session'>[] }> {
  const sessions = await rt.models.Session.findAll({
    where: { user_id: userId, revoked_at: null, id: { [Op.ne]: keepSessionId } },
    transaction,
  });
  await revokeSessionRows(rt, sessions, transaction, fx);
  return { sessions };
}

/**
 * Ends every live session of `userId` in a command's transaction and closes all its gateway
 * connections after the commit (a disabled account, a forced logout, a password reset), including
 * one whose session opened meanwhile. Pass the result to sessionsRevoked after the commit.
 */
export async function revokeAllSessionRows(
  rt: Pick<Runtime, 'models'>,
  userId: string,
  transaction: Transaction,
  fx: Effects,
): Promise<{ sessions: Row<'Session'>[] }> {
  const sessions = await rt.models.Session.findAll({
    where: { user_id: userId, revoked_at: null },
    transaction,
  });
  await revokeSessionRows(rt, sessions, transaction, fx);
  fx.disconnect(rooms.user(userId));
  return { sessions };
}

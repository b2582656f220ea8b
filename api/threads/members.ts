import { QueryTypes, type Transaction } from 'sequelize';
import { rooms } from '../../shared/events/index.js';
import { presentThreadMember, type ThreadMemberObject } from '../../shared/presenters/thread.js';
import type { Runtime } from '../../shared/runtime.js';
import { loadThread, type ThreadAccess } from './access.js';

/** Moves a thread's member_count by `delta` in `transaction`; returns the new count. */
async function moveMemberCount(
  rt: Runtime,
  threadId: string,
  delta: number,
  transaction: Transaction,
): Promise<number> {
  const rows = await rt.sequelize.query<{ member_count: number }>(
    `UPDATE thread_metadata SET member_count = greatest(member_count + $2, 0)
      WHERE channel_id = $1 RETURNING member_count`,
    { bind: [threadId, delta], type: QueryTypes.SELECT, transaction },
  );
  return rows[0]?.member_count ?? 0;
}

/** Tells the parent's viewers (who are the thread's) that someone joined or left. */
async function announceMembers(
  rt: Runtime,
  access: ThreadAccess,
  memberCount: number,
  change: { added_member_ids: string[] } | { removed_member_ids: string[] },
): Promise<void> {
  const { thread } = access;
  await rt.events.dispatch([rooms.channel(thread.parent_id ?? thread.id)], 'THREAD_MEMBERS_UPDATE', {
    id: thread.id,
    server_id: access.policy.server.id,
    member_count: memberCount,
    ...change,
  });
}

/**
 * PUT /channels/{thread_id}/thread-members/@me: joins a thread the caller can see (archived or
 * locked ones too: joining is following, not posting). Joining twice changes nothing and sends
 * nothing; a join sends THREAD_MEMBERS_UPDATE.
 */
export async function joinThread(rt: Runtime, threadId: string, userId: string): Promise<void> {
  const access = await loadThread(rt, threadId, userId);
  const count = await rt.sequelize.transaction(async (transaction) => {
    const inserted = await rt.sequelize.query(
      `INSERT INTO thread_members (thread_id, user_id, joined_at) VALUES ($1, $2, now())
       ON CONFLICT DO NOTHING RETURNING user_id`,
      { bind: [threadId, userId], type: QueryTypes.SELECT, transaction },
    );
    return inserted.length > 0 ? moveMemberCount(rt, threadId, 1, transaction) : null;
  });
  if (count !== null) await announceMembers(rt, access, count, { added_member_ids: [userId] });
}

/** DELETE /channels/{thread_id}/thread-members/@me: leaves a thread (a no-op when not a member). */
export async function leaveThread(rt: Runtime, threadId: string, userId: string): Promise<void> {
  const access = await loadThread(rt, threadId, userId);
  const count = await rt.sequelize.transaction(async (transaction) => {
    const removed = await rt.models.ThreadMember.destroy({
      where: { thread_id: threadId, user_id: userId },
      transaction,
    });
    return removed > 0 ? moveMemberCount(rt, threadId, -1, transaction) : null;
  });
  if (count !== null) await announceMembers(rt, access, count, { removed_member_ids: [userId] });
}

/**
 * GET /channels/{thread_id}/thread-members: the thread's members who are still in the server,
 * by user id (`after` a user id, `limit`).
 */
export async function listThreadMembers(
  rt: Runtime,
  threadId: string,
  userId: string,
  page: { after?: string; limit: number },
): Promise<ThreadMemberObject[]> {
  const access = await loadThread(rt, threadId, userId);
  const rows = await rt.sequelize.query(
    `SELECT tm.* FROM thread_members tm
       JOIN members m ON m.server_id = $2 AND m.user_id = tm.user_id
      WHERE tm.thread_id = $1 AND ($3::bigint IS NULL OR tm.user_id > $3)
      ORDER BY tm.user_id LIMIT $4`,
    {
      bind: [threadId, access.policy.server.id, page.after ?? null, page.limit],
      type: QueryTypes.SELECT,
      model: rt.models.ThreadMember,
      mapToModel: true,
    },
  );
  const users = await rt.models.User.findAll({ where: { id: rows.map((r) => r.user_id) } });
  const byId = new Map(users.map((u) => [u.id, u]));
  return rows.map((r) => presentThreadMember(r, byId.get(r.user_id)));
}

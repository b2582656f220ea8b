import { QueryTypes, type Transaction } from 'sequelize';
import { ApiError, MissingPermissionError, NotFoundError } from '../../shared/errors.js';
import { rooms } from '../../shared/events/index.js';
import { channelViewers, threadAudienceRoom } from '../../shared/permissions/viewers.js';
import {
  presentThread,
  presentThreadMember,
  type ThreadMemberObject,
} from '../../shared/presenters/thread.js';
import type { Runtime } from '../../shared/runtime.js';
import { canManageThreads, loadThread, type ThreadAccess } from './access.js';

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

/** Tells the thread's viewers that someone joined or left. */
async function announceMembers(
  rt: Runtime,
  access: ThreadAccess,
  memberCount: number,
  change: { added_member_ids: string[] } | { removed_member_ids: string[] },
): Promise<void> {
  await rt.events.dispatch([threadAudienceRoom(access.thread)], 'THREAD_MEMBERS_UPDATE', {
    id: access.thread.id,
    server_id: access.policy.server.id,
    member_count: memberCount,
    ...change,
  });
}

/** Whether `userId` sees the thread (for a private one: a member, or may manage threads). */
async function sees(rt: Runtime, access: ThreadAccess, userId: string): Promise<boolean> {
  return (await channelViewers(rt, access.thread, [userId])).has(userId);
}

/**
 * Adds `userId` to a thread the caller (`access`) sees. Idempotent: nothing is sent when they were
 * a member already. Someone who did not see a private thread before joins its room and receives
 * THREAD_CREATE; the thread's viewers receive THREAD_MEMBERS_UPDATE.
 */
async function addMember(rt: Runtime, access: ThreadAccess, userId: string): Promise<void> {
  const { thread } = access;
  const isPrivate = thread.channel_type === 'private_thread';
  const sawIt = !isPrivate || (await sees(rt, access, userId));
  const count = await rt.sequelize.transaction(async (transaction) => {
    const inserted = await rt.sequelize.query(
      `INSERT INTO thread_members (thread_id, user_id, joined_at) VALUES ($1, $2, now())
       ON CONFLICT DO NOTHING RETURNING user_id`,
      { bind: [thread.id, userId], type: QueryTypes.SELECT, transaction },
    );
    return inserted.length > 0 ? moveMemberCount(rt, thread.id, 1, transaction) : null;
  });
  if (count === null) return;
  if (!sawIt) {
    await rt.events.joinRooms(rooms.user(userId), [rooms.channel(thread.id)]);
    await access.meta.reload();
    await rt.events.dispatch([rooms.user(userId)], 'THREAD_CREATE', presentThread(thread, access.meta));
  }
  await announceMembers(rt, access, count, { added_member_ids: [userId] });
}

/**
 * Removes `userId` from a thread (a no-op when not a member). Its viewers receive
 * THREAD_MEMBERS_UPDATE; someone who no longer sees a private thread leaves its room and receives
 * THREAD_DELETE, so their clients drop it.
 */
async function removeMember(rt: Runtime, access: ThreadAccess, userId: string): Promise<void> {
  const { thread } = access;
  const count = await rt.sequelize.transaction(async (transaction) => {
    const removed = await rt.models.ThreadMember.destroy({
      where: { thread_id: thread.id, user_id: userId },
      transaction,
    });
    return removed > 0 ? moveMemberCount(rt, thread.id, -1, transaction) : null;
  });
  if (count === null) return;
  await announceMembers(rt, access, count, { removed_member_ids: [userId] });
  if (thread.channel_type === 'private_thread' && !(await sees(rt, access, userId))) {
    const room = rooms.channel(thread.id);
    await rt.events.leaveRooms(rooms.user(userId), [room]);
    await rt.events.dispatch([rooms.user(userId)], 'THREAD_DELETE', {
      id: thread.id,
      server_id: access.policy.server.id,
      parent_id: thread.parent_id ?? thread.id,
    });
  }
}

/**
 * PUT /channels/{thread_id}/thread-members/@me: joins a thread the caller can see (archived or
 * locked ones too: joining is following, not posting).
 */
export async function joinThread(rt: Runtime, threadId: string, userId: string): Promise<void> {
  await addMember(rt, await loadThread(rt, threadId, userId), userId);
}

/** DELETE /channels/{thread_id}/thread-members/@me: leaves a thread. */
export async function leaveThread(rt: Runtime, threadId: string, userId: string): Promise<void> {
  await removeMember(rt, await loadThread(rt, threadId, userId), userId);
}

/**
 * PUT /channels/{thread_id}/thread-members/{user_id}: anyone who sees the thread may add a member
 * of the server who can see its parent (404 `unknown_member` for someone else, 400
 * `member_cannot_view` for a member who cannot see the channel). This is how people enter a
 * private thread.
 */
export async function addThreadMember(
  rt: Runtime,
  threadId: string,
  actorId: string,
  userId: string,
): Promise<void> {
  const access = await loadThread(rt, threadId, actorId);
  const member = await rt.models.Member.count({
    where: { server_id: access.policy.server.id, user_id: userId },
  });
  if (member === 0) throw new NotFoundError('member');
  const parent = await rt.models.Channel.findByPk(access.thread.parent_id ?? '');
  if (!parent || !(await channelViewers(rt, parent, [userId])).has(userId)) {
    throw new ApiError(400, 'member_cannot_view', 'This member cannot see the thread’s channel');
  }
  await addMember(rt, access, userId);
}

/**
 * DELETE /channels/{thread_id}/thread-members/{user_id}: needs MANAGE_THREADS, or being the owner
 * of a private thread.
 */
export async function removeThreadMember(
  rt: Runtime,
  threadId: string,
  actorId: string,
  userId: string,
): Promise<void> {
  const access = await loadThread(rt, threadId, actorId);
  const ownsPrivate = access.thread.channel_type === 'private_thread' && access.meta.owner_id === actorId;
  if (userId !== actorId && !ownsPrivate && !canManageThreads(access)) {
    throw new MissingPermissionError('MANAGE_THREADS');
  }
  await removeMember(rt, access, userId);
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

import { QueryTypes, type Transaction } from 'sequelize';
import { ApiError, MissingPermissionError, NotFoundError } from '../../errors.js';
import { rooms } from '../../events/index.js';
import { runCommand, type Effects } from '../../outbox/index.js';
import { channelViewers, threadAudienceRoom } from '../../permissions/viewers.js';
import { presentThread } from '../../presenters/thread.js';
import type { Runtime } from '../../runtime.js';
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
function announceMembers(
  fx: Effects,
  access: ThreadAccess,
  memberCount: number,
  change: { added_member_ids: string[] } | { removed_member_ids: string[] },
): void {
  fx.dispatch([threadAudienceRoom(access.thread)], 'THREAD_MEMBERS_UPDATE', {
    id: access.thread.id,
    server_id: access.policy.server.id,
    member_count: memberCount,
    ...change,
  });
}

/** Whether `userId` sees the thread (for a private one: a member, or may manage threads). */
async function sees(
  rt: Runtime,
  access: ThreadAccess,
  userId: string,
  transaction?: Transaction,
): Promise<boolean> {
  return (await channelViewers(rt, access.thread, [userId], transaction)).has(userId);
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
  await runCommand(rt, threadAudienceRoom(thread), async (transaction, fx) => {
    const inserted = await rt.sequelize.query(
      `INSERT INTO thread_members (thread_id, user_id, joined_at) VALUES ($1, $2, now())
       ON CONFLICT DO NOTHING RETURNING user_id`,
      { bind: [thread.id, userId], type: QueryTypes.SELECT, transaction },
    );
    if (inserted.length === 0) return;
    const count = await moveMemberCount(rt, thread.id, 1, transaction);
    if (!sawIt) {
      fx.joinRooms(rooms.user(userId), [rooms.channel(thread.id)]);
      await access.meta.reload({ transaction });
      fx.dispatch([rooms.user(userId)], 'THREAD_CREATE', presentThread(thread, access.meta));
    }
    announceMembers(fx, access, count, { added_member_ids: [userId] });
  });
}

/**
 * Removes `userId` from a thread (a no-op when not a member). Its viewers receive
 * THREAD_MEMBERS_UPDATE; someone who no longer sees a private thread leaves its room and receives
 * THREAD_DELETE, so their clients drop it.
 */
async function removeMember(rt: Runtime, access: ThreadAccess, userId: string): Promise<void> {
  const { thread } = access;
  await runCommand(rt, threadAudienceRoom(thread), async (transaction, fx) => {
    const removed = await rt.models.ThreadMember.destroy({
      where: { thread_id: thread.id, user_id: userId },
      transaction,
    });
    if (removed === 0) return;
    const count = await moveMemberCount(rt, thread.id, -1, transaction);
    announceMembers(fx, access, count, { removed_member_ids: [userId] });
    if (thread.channel_type === 'private_thread' && !(await sees(rt, access, userId, transaction))) {
      fx.leaveRooms(rooms.user(userId), [rooms.channel(thread.id)]);
      fx.dispatch([rooms.user(userId)], 'THREAD_DELETE', {
        id: thread.id,
        server_id: access.policy.server.id,
        parent_id: thread.parent_id ?? thread.id,
      });
    }
  });
}

/** The caller joins a thread they can see (archived or locked ones too: joining is following, not posting). */
export async function joinThread(rt: Runtime, threadId: string, userId: string): Promise<void> {
  await addMember(rt, await loadThread(rt, threadId, userId), userId);
}

/** The caller leaves a thread. */
export async function leaveThread(rt: Runtime, threadId: string, userId: string): Promise<void> {
  await removeMember(rt, await loadThread(rt, threadId, userId), userId);
}

/**
 * Anyone who sees the thread may add a member of the server who can see its parent (404
 * `unknown_member` for someone else, 400 `member_cannot_view` for a member who cannot see the
 * channel). This is how people enter a private thread.
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

/** Removes someone from a thread: needs MANAGE_THREADS, or being the owner of a private thread. */
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

import { Op, type Transaction } from 'sequelize';
import { recordAudit, type AuditChange } from '../../audit.js';
import { THREAD_CHANNEL_TYPES } from '../../db/models/index.js';
import { MissingPermissionError } from '../../errors.js';
import { rooms } from '../../events/index.js';
import { runCommand, type Effects } from '../../outbox/index.js';
import { threadAudienceRoom } from '../../permissions/viewers.js';
import { messageJobId } from '../../queues/index.js';
import type { Runtime } from '../../runtime.js';
import { deleteRowFilesAfterCommit } from '../../storage/row-files.js';
import { canManageThreads, loadThread } from './access.js';
import { threadAuditFields } from './rules.js';

/**
 * Inside a parent channel's deletion: its threads go with it (the schema would only orphan them),
 * their caches moving and their uploads' stored files deleted after the commit (through `fx`).
 * Returns their ids, for forgetThreadRooms.
 */
export async function deleteThreadsOf(
  rt: Pick<Runtime, 'models' | 'sequelize' | 'snowflake'>,
  parentId: string,
  transaction: Transaction,
  fx: Effects,
): Promise<string[]> {
  const threads = await rt.models.Channel.findAll({
    where: { parent_id: parentId, channel_type: { [Op.in]: THREAD_CHANNEL_TYPES } },
    attributes: ['id'],
    transaction,
  });
  const ids = threads.map((t) => t.id);
  if (ids.length > 0) {
    await deleteRowFilesAfterCommit(rt, fx, { channels: ids }, transaction);
    await rt.models.Channel.destroy({ where: { id: ids }, transaction });
    fx.invalidate({ channels: ids });
    fx.refresh('channel-epochs', ids);
  }
  return ids;
}

/** Empties the rooms of deleted threads on every gateway, after the commit. */
export function forgetThreadRooms(fx: Effects, threadIds: string[]): void {
  for (const id of threadIds) {
    const room = rooms.channel(id);
    fx.leaveRooms(room, [room]);
  }
}

/**
 * Deletes a thread (MANAGE_THREADS) with its messages. Audited as thread_delete; the parent's
 * viewers receive THREAD_DELETE and leave the thread's room; the starter message loses its
 * `thread_id` (MESSAGE_UPDATE, through the messages queue); its uploads' stored files are deleted
 * after the commit.
 */
export async function deleteThread(
  rt: Runtime,
  threadId: string,
  actorId: string,
  reason: string | null,
): Promise<void> {
  const access = await loadThread(rt, threadId, actorId);
  const { thread, meta, policy } = access;
  if (!canManageThreads(access)) throw new MissingPermissionError('MANAGE_THREADS');
  const before = threadAuditFields(thread, meta);
  const parentId = thread.parent_id ?? thread.id;
  await runCommand(rt, threadAudienceRoom(thread), async (transaction, fx) => {
    await recordAudit(
      rt,
      {
        serverId: policy.server.id,
        actorId,
        action: 'thread_delete',
        targetType: 'channel',
        targetId: thread.id,
        changes: Object.entries(before).map(([key, old]): AuditChange => ({ key, old })),
        reason,
      },
      transaction,
    );
    await deleteRowFilesAfterCommit(rt, fx, { channels: [thread.id] }, transaction);
    await thread.destroy({ transaction });
    fx.invalidate({ channels: [thread.id] });
    fx.refresh('channel-epochs', [thread.id]);
    fx.dispatch([threadAudienceRoom(thread)], 'THREAD_DELETE', {
      id: thread.id,
      server_id: policy.server.id,
      parent_id: parentId,
    });
    forgetThreadRooms(fx, [thread.id]);
    if (meta.starter_message_id) {
      const job = {
        kind: 'set_thread',
        message_id: meta.starter_message_id,
        channel_id: parentId,
        thread_id: null,
      } as const;
      const jobId = messageJobId('set_thread', meta.starter_message_id, `${thread.id}-gone`);
      fx.job('messages', job.kind, job, { jobId });
    }
  });
}

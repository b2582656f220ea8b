import { Op, QueryTypes, type Transaction } from 'sequelize';
import { diff, recordAudit, type AuditChange } from '../../shared/audit.js';
import { invalidate } from '../../shared/domain/invalidation.js';
import { THREAD_CHANNEL_TYPES, type Row } from '../../shared/db/models/index.js';
import { MissingPermissionError, NotFoundError, ValidationError } from '../../shared/errors.js';
import { rooms } from '../../shared/events/index.js';
import { Permission, has } from '../../shared/permissions/index.js';
import { threadAudienceRoom } from '../../shared/permissions/viewers.js';
import { presentThread, type ThreadObject } from '../../shared/presenters/thread.js';
import { messageJobId } from '../../shared/queues/index.js';
import type { Runtime } from '../../shared/runtime.js';
import { canManageThreads, loadThread, loadThreadParent } from './access.js';
import { threadAuditFields } from './start.js';

/** What PATCH /channels/{thread_id} may change. */
export interface ThreadPatch {
  name?: string;
  archived?: boolean;
  locked?: boolean;
  auto_archive_minutes?: number;
}

/** The fields of PATCH /channels/{id} that only threads take. */
export const THREAD_ONLY_FIELDS: readonly string[] = ['archived', 'locked', 'auto_archive_minutes'];
const THREAD_FIELDS: readonly string[] = ['name', ...THREAD_ONLY_FIELDS];

/** 400 naming every field of `body` outside `allowed` (`what`: what does not take them). */
export function rejectFields(body: object, allowed: (key: string) => boolean, what: string): void {
  const errors: Record<string, string> = {};
  for (const key of Object.keys(body)) {
    if (!allowed(key)) errors[key] = `${key} cannot be set on ${what}`;
  }
  if (Object.keys(errors).length > 0) throw new ValidationError(errors);
}

/** The thread object of a thread channel (GET /channels/{id} on a thread). */
export async function presentThreadChannel(
  rt: Pick<Runtime, 'models'>,
  thread: Row<'Channel'>,
): Promise<ThreadObject> {
  const meta = await rt.models.ThreadMetadata.findByPk(thread.id, {
    rejectOnEmpty: new NotFoundError('channel'),
  });
  return presentThread(thread, meta);
}

/**
 * PATCH /channels/{thread_id}. The thread's owner may rename, archive/unarchive and set
 * auto_archive_minutes on their own thread while it is not locked; everything else (other people's
 * threads, `locked`, anything on a locked thread) needs MANAGE_THREADS. Unarchiving restarts the
 * inactivity clock. Audited as thread_update; the parent's viewers receive THREAD_UPDATE.
 */
export async function updateThread(
  rt: Runtime,
  threadId: string,
  actorId: string,
  patch: ThreadPatch,
  reason: string | null,
): Promise<ThreadObject> {
  const access = await loadThread(rt, threadId, actorId);
  // A thread's topic, position, parent and the rest are its parent's business.
  rejectFields(patch, (key) => THREAD_FIELDS.includes(key), 'a thread');
  const { thread, meta, policy } = access;
  const ownsIt = meta.owner_id === actorId && !meta.locked && patch.locked === undefined;
  if (!ownsIt && !canManageThreads(access)) throw new MissingPermissionError('MANAGE_THREADS');
  const changes = await rt.sequelize.transaction(async (transaction) => {
    await meta.reload({ transaction, lock: transaction.LOCK.UPDATE });
    const before = threadAuditFields(thread, meta);
    if (patch.name !== undefined) thread.set({ name: patch.name });
    if (patch.locked !== undefined) meta.set({ locked: patch.locked });
    if (patch.auto_archive_minutes !== undefined)
      meta.set({ auto_archive_minutes: patch.auto_archive_minutes });
    if (patch.archived !== undefined && patch.archived !== meta.archived) {
      const now = new Date();
      meta.set(
        patch.archived
          ? { archived: true, archived_at: now }
          : { archived: false, archived_at: null, last_activity_at: now },
      );
    }
    const changed = diff(before, threadAuditFields(thread, meta));
    if (changed.length === 0) return changed;
    await thread.save({ transaction });
    await meta.save({ transaction });
    await invalidate(rt, { channels: [thread.id] }, transaction);
    await recordAudit(
      rt,
      {
        serverId: policy.server.id,
        actorId,
        action: 'thread_update',
        targetType: 'channel',
        targetId: thread.id,
        changes: changed,
        reason,
      },
      transaction,
    );
    return changed;
  });
  const payload = presentThread(thread, meta);
  if (changes.length > 0) {
    await rt.events.dispatch([threadAudienceRoom(thread)], 'THREAD_UPDATE', payload);
  }
  return payload;
}

/**
 * DELETE /channels/{thread_id} (MANAGE_THREADS): the thread and its messages go. Audited as
 * thread_delete; the parent's viewers receive THREAD_DELETE and leave the thread's room; the
 * starter message loses its `thread_id` (MESSAGE_UPDATE, through the queue).
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
  await rt.sequelize.transaction(async (transaction) => {
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
    await thread.destroy({ transaction });
    await invalidate(rt, { channels: [thread.id] }, transaction);
  });
  const parentId = thread.parent_id ?? thread.id;
  await rt.events.dispatch([threadAudienceRoom(thread)], 'THREAD_DELETE', {
    id: thread.id,
    server_id: policy.server.id,
    parent_id: parentId,
  });
  await forgetThreadRooms(rt, [thread.id]);
  if (meta.starter_message_id) {
    const jobId = messageJobId('set_thread', meta.starter_message_id, `${thread.id}-gone`);
    const job = {
      kind: 'set_thread',
      message_id: meta.starter_message_id,
      channel_id: parentId,
      thread_id: null,
    } as const;
    // Nobody waits for it: the deletion is done; the starter's link follows as MESSAGE_UPDATE.
    await rt.queues.messages
      .add(job.kind, job, { jobId })
      .catch((err: Error) =>
        rt.logger.warn({ err: err.message, thread: thread.id }, 'could not unlink a starter'),
      );
  }
}

/**
 * GET /channels/{channel_id}/threads: the threads of a text channel the caller can see, newest
 * first (`before` a thread id, `limit`); active ones, or archived ones with `archived`. Private
 * threads only for their members and those who may manage threads.
 */
export async function listThreads(
  rt: Runtime,
  parentId: string,
  userId: string,
  query: { archived: boolean; before?: string; limit: number },
): Promise<ThreadObject[]> {
  const { parent, permissions } = await loadThreadParent(rt, parentId, userId, Permission.VIEW_CHANNEL);
  const metas = await rt.sequelize.query(
    `SELECT tm.* FROM thread_metadata tm JOIN channels c ON c.id = tm.channel_id
      WHERE c.parent_id = $1 AND tm.archived = $2 AND ($3::bigint IS NULL OR c.id < $3)
        AND (c.channel_type = 'public_thread' OR $5
             OR EXISTS (SELECT 1 FROM thread_members m WHERE m.thread_id = c.id AND m.user_id = $6))
      ORDER BY c.id DESC LIMIT $4`,
    {
      bind: [
        parent.id,
        query.archived,
        query.before ?? null,
        query.limit,
        has(permissions, Permission.MANAGE_THREADS),
        userId,
      ],
      type: QueryTypes.SELECT,
      model: rt.models.ThreadMetadata,
      mapToModel: true,
    },
  );
  const channels = await rt.models.Channel.findAll({ where: { id: metas.map((m) => m.channel_id) } });
  const byId = new Map(channels.map((c) => [c.id, c]));
  return metas.flatMap((m) => {
    const channel = byId.get(m.channel_id);
    return channel ? [presentThread(channel, m)] : [];
  });
}

/**
 * Inside a parent channel's deletion: its threads go with it (the schema would only orphan them).
 * Returns their ids, for forgetThreadRooms once the deletion is committed.
 */
export async function deleteThreadsOf(
  rt: Pick<Runtime, 'models' | 'redis' | 'config'>,
  parentId: string,
  transaction: Transaction,
): Promise<string[]> {
  const threads = await rt.models.Channel.findAll({
    where: { parent_id: parentId, channel_type: { [Op.in]: THREAD_CHANNEL_TYPES } },
    attributes: ['id'],
    transaction,
  });
  const ids = threads.map((t) => t.id);
  if (ids.length > 0) {
    await rt.models.Channel.destroy({ where: { id: ids }, transaction });
    await invalidate(rt, { channels: ids }, transaction);
  }
  return ids;
}

/** Empties the rooms of deleted threads on every gateway. */
export async function forgetThreadRooms(rt: Pick<Runtime, 'events'>, threadIds: string[]): Promise<void> {
  for (const id of threadIds) {
    const room = rooms.channel(id);
    await rt.events.leaveRooms(room, [room]);
  }
}

import { diff, recordAudit } from '../../audit.js';
import { MissingPermissionError } from '../../errors.js';
import { runCommand } from '../../outbox/index.js';
import { threadAudienceRoom } from '../../permissions/viewers.js';
import { presentThread, type ThreadObject } from '../../presenters/thread.js';
import type { Runtime } from '../../runtime.js';
import { canManageThreads, loadThread } from './access.js';
import { THREAD_FIELDS, rejectFields, threadAuditFields, type ThreadPatch } from './rules.js';

/**
 * Updates a thread. Its owner may rename, archive/unarchive and set auto_archive_minutes on their
 * own thread while it is not locked; everything else (other people's threads, `locked`, anything on
 * a locked thread) needs MANAGE_THREADS. Unarchiving restarts the inactivity clock. Audited as
 * thread_update; the parent's viewers receive THREAD_UPDATE.
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
  return runCommand(rt, threadAudienceRoom(thread), async (transaction, fx) => {
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
    const changes = diff(before, threadAuditFields(thread, meta));
    const payload = presentThread(thread, meta);
    if (changes.length === 0) return payload;
    await thread.save({ transaction });
    await meta.save({ transaction });
    fx.invalidate({ channels: [thread.id] });
    await recordAudit(
      rt,
      {
        serverId: policy.server.id,
        actorId,
        action: 'thread_update',
        targetType: 'channel',
        targetId: thread.id,
        changes,
        reason,
      },
      transaction,
    );
    fx.dispatch([threadAudienceRoom(thread)], 'THREAD_UPDATE', payload);
    return payload;
  });
}

import { isThreadType, type Row } from '../../shared/db/models/index.js';
import { ApiError, NotFoundError } from '../../shared/errors.js';
import { Permission, has } from '../../shared/permissions/index.js';
import type { Runtime } from '../../shared/runtime.js';

/** In a thread, sending needs SEND_MESSAGES_IN_THREADS where a channel needs SEND_MESSAGES. */
export function sendPermissionIn(channel: Row<'Channel'>, needed: bigint): bigint {
  if (!isThreadType(channel.channel_type) || !has(needed, Permission.SEND_MESSAGES)) return needed;
  return (needed & ~Permission.SEND_MESSAGES) | Permission.SEND_MESSAGES_IN_THREADS;
}

/**
 * Whether the caller may post in a thread now: a locked thread takes messages only from those with
 * MANAGE_THREADS (403 `thread_locked`, naming it). An archived thread that is not locked takes
 * them, and the messages worker unarchives it.
 */
export async function assertThreadOpen(
  rt: Pick<Runtime, 'models'>,
  thread: Row<'Channel'>,
  permissions: bigint,
): Promise<void> {
  const meta = await rt.models.ThreadMetadata.findByPk(thread.id);
  if (!meta) throw new NotFoundError('channel');
  if (meta.locked && !has(permissions, Permission.MANAGE_THREADS)) {
    throw new ApiError(
      403,
      'thread_locked',
      'This thread is locked: posting needs MANAGE_THREADS',
      undefined,
      {
        permission: 'MANAGE_THREADS',
      },
    );
  }
}

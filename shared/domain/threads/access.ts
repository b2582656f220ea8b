import { isThreadType, type Row } from '../../db/models/index.js';
import { ApiError, MissingPermissionError, NotFoundError } from '../../errors.js';
import { Permission, has, permissionNames, type ServerPolicy } from '../../permissions/index.js';
import type { Runtime } from '../../runtime.js';
import { loadChannel } from '../access.js';

/** A thread the caller can see (they see its parent), its metadata, and their permissions there. */
export interface ThreadAccess {
  thread: Row<'Channel'>;
  meta: Row<'ThreadMetadata'>;
  policy: ServerPolicy;
  /** The caller's permissions in the parent, which are theirs in the thread. */
  permissions: bigint;
}

/**
 * Loads a thread for the caller: 404 `unknown_channel` when it does not exist or they cannot see
 * its parent; 400 `invalid_channel_type` for a channel they can see that is not a thread.
 */
export async function loadThread(
  rt: Pick<Runtime, 'models'>,
  threadId: string,
  userId: string,
): Promise<ThreadAccess> {
  const access = await loadChannel(rt, threadId, userId);
  if (access.policy === null) throw notAThread();
  const permissions = await access.policy.requireChannel(access.channel);
  if (!isThreadType(access.channel.channel_type)) throw notAThread();
  const meta = await rt.models.ThreadMetadata.findByPk(access.channel.id);
  if (!meta) throw new NotFoundError('channel');
  return { thread: access.channel, meta, policy: access.policy, permissions };
}

/**
 * Loads a channel that threads live in: a server text channel the caller can see and holding
 * `needed` there (404 / 403 as for any channel); 400 `invalid_channel_type` for other channels.
 */
export async function loadThreadParent(
  rt: Pick<Runtime, 'models'>,
  channelId: string,
  userId: string,
  needed: bigint,
): Promise<{ parent: Row<'Channel'>; policy: ServerPolicy; permissions: bigint }> {
  const access = await loadChannel(rt, channelId, userId);
  if (access.policy === null) throw noThreadsHere(access.channel.channel_type);
  // Visibility first (404), then the type (400), then the permission (403).
  const permissions = await access.policy.requireChannel(access.channel);
  if (access.channel.channel_type !== 'text') throw noThreadsHere(access.channel.channel_type);
  if (!has(permissions, needed)) {
    throw new MissingPermissionError(permissionNames(needed & ~permissions).join(', '));
  }
  return { parent: access.channel, policy: access.policy, permissions };
}

/** Whether a channel exists and is a thread (visibility is for loadThread to decide). */
export async function isThreadChannel(rt: Pick<Runtime, 'models'>, channelId: string): Promise<boolean> {
  const row = await rt.models.Channel.findByPk(channelId, { attributes: ['channel_type'] });
  return row !== null && isThreadType(row.channel_type);
}

/** Whether the caller may manage threads in this thread's parent. */
export function canManageThreads(access: Pick<ThreadAccess, 'permissions'>): boolean {
  return has(access.permissions, Permission.MANAGE_THREADS);
}

function notAThread(): ApiError {
  return new ApiError(400, 'invalid_channel_type', 'This channel is not a thread');
}

function noThreadsHere(type: string): ApiError {
  return new ApiError(
    400,
    'invalid_channel_type',
    `Threads live in server text channels, not in a ${type} channel`,
  );
}

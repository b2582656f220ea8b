import type { Row } from '../../shared/db/models/index.js';
import { ApiError, MissingPermissionError, NotFoundError } from '../../shared/errors.js';
import {
  PRIVATE_CHANNEL_PERMISSIONS,
  Permission,
  ServerPolicy,
  has,
  permissionNames,
} from '../../shared/permissions/index.js';
import { cachedChannel } from '../../shared/permissions/facts-cache.js';
import type { Runtime } from '../../shared/runtime.js';
import { isBlockedEitherWay } from '../../shared/domain/relationships/relationships.js';
import { assertThreadOpen, sendPermissionIn } from '../threads/posting.js';

/** The caller's standing in a channel they may read: the channel and their permissions there. */
export interface MessageAccess {
  channel: Row<'Channel'>;
  permissions: bigint;
  /** The server policy for server channels; null for DMs and notes. */
  policy: ServerPolicy | null;
}

const MESSAGE_CHANNEL_TYPES = new Set(['text', 'dm', 'notes', 'public_thread', 'private_thread']);

/**
 * Resolves a channel for messaging: 404 when it does not exist or the caller cannot view it (or is
 * not a DM recipient), 400 for channels without messages (voice, category), 403 naming what is
 * missing from `needed`. In a DM where either user blocked the other, nobody may send. A thread
 * is read with its parent's permissions; sending there needs SEND_MESSAGES_IN_THREADS instead of
 * SEND_MESSAGES, and a locked thread takes messages only from those with MANAGE_THREADS.
 */
export async function messageAccess(
  rt: Runtime,
  channelId: string,
  userId: string,
  needed: bigint = Permission.VIEW_CHANNEL,
): Promise<MessageAccess> {
  // Every message route starts here: the row comes from the channel cache (facts-cache.ts).
  const channel = await cachedChannel(rt, channelId);
  if (!channel) throw new NotFoundError('channel');
  let access: MessageAccess;
  if (channel.server_id === null) {
    const recipients = await rt.models.ChannelRecipient.findAll({ where: { channel_id: channel.id } });
    if (!recipients.some((r) => r.user_id === userId)) throw new NotFoundError('channel');
    let permissions = PRIVATE_CHANNEL_PERMISSIONS;
    const other = recipients.find((r) => r.user_id !== userId);
    if (channel.channel_type === 'dm' && other && (await isBlockedEitherWay(rt, userId, other.user_id))) {
      if (has(needed, Permission.SEND_MESSAGES)) {
        throw new ApiError(403, 'cannot_message_user', 'You cannot send messages to this user');
      }
      permissions &= ~Permission.SEND_MESSAGES;
    }
    access = { channel, permissions, policy: null };
  } else {
    // Facts and overwrites in one round trip (requireChannel then reads nothing more).
    const policy = await ServerPolicy.loadInChannel(rt, channel.server_id, userId, channel).catch(() => {
      throw new NotFoundError('channel');
    });
    access = { channel, permissions: await policy.requireChannel(channel), policy };
  }
  if (!MESSAGE_CHANNEL_TYPES.has(channel.channel_type)) {
    throw new ApiError(400, 'invalid_channel_type', `A ${channel.channel_type} channel has no messages`);
  }
  const required = sendPermissionIn(channel, needed);
  if (!has(access.permissions, required)) {
    throw new MissingPermissionError(permissionNames(required & ~access.permissions).join(', '));
  }
  if (required !== needed) await assertThreadOpen(rt, channel, access.permissions);
  return access;
}

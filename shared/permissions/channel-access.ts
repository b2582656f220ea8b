import type { Row } from '../db/models/index.js';
import type { Runtime } from '../runtime.js';
import { Permission, has } from './bits.js';
import { PRIVATE_CHANNEL_PERMISSIONS, ServerPolicy } from './policy.js';

/**
 * A user's permissions in a channel, or null when they may not see it (not a member, no
 * VIEW_CHANNEL, not a recipient of a private channel). For callers outside the HTTP routes (the
 * gateway's commands), where "cannot see" is an answer rather than a 404.
 */
export async function channelAccessFor(
  rt: Pick<Runtime, 'models'>,
  userId: string,
  channelId: string,
): Promise<{ channel: Row<'Channel'>; permissions: bigint } | null> {
  const channel = await rt.models.Channel.findByPk(channelId);
  if (!channel) return null;
  if (channel.server_id === null) {
    const recipient = await rt.models.ChannelRecipient.findOne({
      where: { channel_id: channel.id, user_id: userId },
    });
    return recipient ? { channel, permissions: PRIVATE_CHANNEL_PERMISSIONS } : null;
  }
  const policy = await ServerPolicy.load(rt, channel.server_id, userId).catch(() => null);
  if (!policy) return null;
  const permissions = await policy.channelPermissions(channel);
  return has(permissions, Permission.VIEW_CHANNEL) ? { channel, permissions } : null;
}

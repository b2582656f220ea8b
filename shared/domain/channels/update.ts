import { rooms } from '../../events/index.js';
import { postAwaitedNotice } from '../../messages/system-messages.js';
import { runCommand } from '../../outbox/index.js';
import { Permission } from '../../permissions/index.js';
import type { ServerChannelObject } from '../../presenters/types.js';
import type { Runtime } from '../../runtime.js';
import { checkParent, requireServerChannel } from '../access.js';
import { presentServerChannel } from './present.js';
import { announceChannelUpdate, applyChannelPatch, checkVoiceFields, type ChannelPatch } from './rules.js';

/**
 * Updates a channel that is not a thread (MANAGE_CHANNELS in it). Audited as channel_update with
 * the diff; its viewers receive CHANNEL_UPDATE. A text channel's new name is announced in it by a
 * `channel_name_change` system message (content: the new name; author: the renamer), whose job id
 * comes back with the channel (null: no notice).
 */
export async function updateChannel(
  rt: Runtime,
  channelId: string,
  actorId: string,
  patch: ChannelPatch,
  reason: string | null,
): Promise<{ channel: ServerChannelObject; noticeJobId: string | null }> {
  const { channel, policy } = await requireServerChannel(rt, channelId, actorId, Permission.MANAGE_CHANNELS);
  const serverId = policy.server.id;
  checkVoiceFields(channel.channel_type, patch);
  await checkParent(rt, serverId, channel, patch.parent_id);
  const oldName = channel.name;
  return runCommand(rt, rooms.channel(channel.id), async (transaction, fx) => {
    if (!(await applyChannelPatch(rt, channel, patch, { serverId, actorId, reason }, transaction, fx))) {
      return { channel: await presentServerChannel(rt, channel, transaction), noticeJobId: null };
    }
    const payload = await announceChannelUpdate(rt, fx, serverId, channel, transaction);
    const renamed = channel.name !== oldName && channel.channel_type === 'text';
    const noticeJobId = renamed
      ? postAwaitedNotice(rt, fx, {
          channel_id: channel.id,
          type: 'channel_name_change',
          author_id: actorId,
          content: channel.name,
        })
      : null;
    return { channel: payload, noticeJobId };
  });
}

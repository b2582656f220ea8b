import { recordAudit, type AuditChange } from '../../audit.js';
import { rooms } from '../../events/index.js';
import { runCommand } from '../../outbox/index.js';
import { Permission } from '../../permissions/index.js';
import { presentChannel } from '../../presenters/server.js';
import type { Runtime } from '../../runtime.js';
import { deleteRowFilesAfterCommit } from '../../storage/row-files.js';
import { isVoiceChannelType } from '../../voice-chat/join.js';
import { requireServerChannel } from '../access.js';
import { deleteThreadsOf, forgetThreadRooms } from '../threads/delete.js';
import { announceChannelUpdate, channelAuditFields } from './rules.js';

/**
 * Deletes a channel that is not a thread (MANAGE_CHANNELS in it). Audited as channel_delete with
 * the channel's last fields. Its viewers receive CHANNEL_DELETE and leave its room; the channels
 * of a deleted category lose their parent and are announced with CHANNEL_UPDATE; the threads of a
 * deleted text channel are deleted with it (CHANNEL_DELETE of the parent says so). The stored files
 * of its uploads (and its threads') are deleted after the commit; a category's children keep theirs.
 */
export async function deleteChannel(
  rt: Runtime,
  channelId: string,
  actorId: string,
  reason: string | null,
): Promise<void> {
  const { channel, policy } = await requireServerChannel(rt, channelId, actorId, Permission.MANAGE_CHANNELS);
  const serverId = policy.server.id;
  const { Channel, PermissionOverwrite } = rt.models;
  const before = channelAuditFields(channel);
  const room = rooms.channel(channel.id);
  await runCommand(rt, room, async (transaction, fx) => {
    // CHANNEL_DELETE carries the overwrites the channel had (outgoing webhooks judge by them who
    // may hear of the deletion).
    const overwrites = await PermissionOverwrite.findAll({ where: { channel_id: channel.id }, transaction });
    await deleteRowFilesAfterCommit(rt, fx, { channels: [channel.id] }, transaction);
    const threadIds = await deleteThreadsOf(rt, channel.id, transaction, fx);
    const children = await Channel.findAll({ where: { parent_id: channel.id }, transaction });
    await recordAudit(
      rt,
      {
        serverId,
        actorId,
        action: 'channel_delete',
        targetType: 'channel',
        targetId: channel.id,
        changes: Object.entries(before).map(([key, old]): AuditChange => ({ key, old })),
        reason,
      },
      transaction,
    );
    await channel.destroy({ transaction });
    // Its overwrites go by cascade, its children's parent_id by SET NULL: no model sees those.
    fx.invalidate({ channels: [channel.id, ...children.map((c) => c.id)] });
    fx.refresh('channel-epochs', [channel.id]);
    // Voice states live in Redis: everyone in the channel leaves once the deletion is committed
    // (never before: a failed command leaves them in), before CHANNEL_DELETE takes its viewers out
    // of its room, so they see them leave.
    if (isVoiceChannelType(channel.channel_type)) fx.refresh('voice-channel', [channel.id]);
    const payload = presentChannel(channel, overwrites);
    fx.dispatch([room], 'CHANNEL_DELETE', payload);
    fx.outgoing({
      type: 'CHANNEL_DELETE',
      server_id: serverId,
      channel_id: channel.id,
      data: payload,
      key: `CHANNEL_DELETE-${channel.id}`,
    });
    fx.leaveRooms(room, [room]);
    forgetThreadRooms(fx, threadIds);
    for (const child of children) {
      // The schema cleared their parent_id with the deletion.
      await child.reload({ transaction });
      await announceChannelUpdate(rt, fx, serverId, child, transaction);
    }
  });
}

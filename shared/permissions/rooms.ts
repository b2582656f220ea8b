import { isThreadType } from '../db/models/channel.js';
import { rooms, type RoomAnnouncement } from '../events/index.js';
import { presentChannel } from '../presenters/server.js';
import type { Runtime } from '../runtime.js';
import { loadMemberFacts, viewableServerChannels } from './policy.js';

/**
 * Brings the gateway rooms of `userIds` in line with what they may see in `serverId`: their
 * sessions join the channels (and threads) they can view and leave the ones they cannot, at once,
 * on every gateway process. Call after anything that changes visibility (overwrites, roles,
 * membership). With `announce`, a session that actually gains or loses sight of a channel gets
 * CHANNEL_CREATE or CHANNEL_DELETE for it (threads follow their parent silently).
 */
export async function syncChannelRooms(
  rt: Pick<Runtime, 'models' | 'events'>,
  serverId: string,
  userIds: string[],
  options: { announce?: boolean } = {},
): Promise<void> {
  const channels = await rt.models.Channel.findAll({ where: { server_id: serverId } });
  let created: Record<string, RoomAnnouncement> | undefined;
  let deleted: Record<string, RoomAnnouncement> | undefined;
  if (options.announce) {
    const overwrites = await rt.models.PermissionOverwrite.findAll({
      where: { channel_id: channels.map((c) => c.id) },
    });
    const listed = channels.filter((c) => !isThreadType(c.channel_type));
    created = Object.fromEntries(
      listed.map((c) => [rooms.channel(c.id), { t: 'CHANNEL_CREATE', d: presentChannel(c, overwrites) }]),
    );
    deleted = Object.fromEntries(
      listed.map((c) => [rooms.channel(c.id), { t: 'CHANNEL_DELETE', d: presentChannel(c, overwrites) }]),
    );
  }
  for (const userId of userIds) {
    const loaded = await loadMemberFacts(rt.models, serverId, userId);
    const visible = new Set(
      loaded
        ? (await viewableServerChannels(rt.models, loaded.facts, { threads: true })).map((c) => c.id)
        : [],
    );
    const join = channels.filter((c) => visible.has(c.id)).map((c) => rooms.channel(c.id));
    const leave = channels.filter((c) => !visible.has(c.id)).map((c) => rooms.channel(c.id));
    if (leave.length) await rt.events.leaveRooms(rooms.user(userId), leave, deleted);
    if (join.length) await rt.events.joinRooms(rooms.user(userId), join, created);
  }
}

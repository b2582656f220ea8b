import { rooms } from '../events/index.js';
import type { Runtime } from '../runtime.js';
import { visibleChannels } from './policy.js';

/**
 * Brings the gateway rooms of `userIds` in line with what they may see in `serverId`: their
 * connections join the channels they can view and leave the ones they cannot, at once, on every
 * gateway process. Call after anything that changes visibility (overwrites, roles, membership).
 */
export async function syncChannelRooms(
  rt: Pick<Runtime, 'models' | 'events'>,
  serverId: string,
  userIds: string[],
): Promise<void> {
  const channels = await rt.models.Channel.findAll({ where: { server_id: serverId }, attributes: ['id'] });
  for (const userId of userIds) {
    const visible = new Set((await visibleChannels(rt, userId)).map((c) => c.id));
    const join = channels.filter((c) => visible.has(c.id)).map((c) => rooms.channel(c.id));
    const leave = channels.filter((c) => !visible.has(c.id)).map((c) => rooms.channel(c.id));
    if (leave.length) await rt.events.leaveRooms(rooms.user(userId), leave);
    if (join.length) await rt.events.joinRooms(rooms.user(userId), join);
  }
}

import type { Transaction } from 'sequelize';
import { isThreadType } from '../db/models/channel.js';
import { rooms, type RoomAnnouncement } from '../events/index.js';
import { presentServerChannels } from '../domain/channels/present.js';
import type { Effects } from '../outbox/effects.js';
import type { Runtime } from '../runtime.js';
import { loadMemberFacts, viewableServerChannels } from './policy.js';

/** Where room changes go: the gateways at once, or a command's outbox effects. */
type RoomSink = Pick<Effects | Runtime['events'], 'joinRooms' | 'leaveRooms'>;

/** How syncChannelRooms reads and where its room changes go. */
export interface RoomSyncOptions {
  /** CHANNEL_CREATE / CHANNEL_DELETE to sessions that gain or lose sight of a channel. */
  announce?: boolean;
  /** Read in a command's transaction (its uncommitted rows)... */
  transaction?: Transaction;
  /** ...and collect the room changes in its effects, relayed after the commit. */
  effects?: Effects;
}

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
  options: RoomSyncOptions = {},
): Promise<void> {
  const { transaction } = options;
  const sink: RoomSink = options.effects ?? rt.events;
  const channels = await rt.models.Channel.findAll({ where: { server_id: serverId }, transaction });
  let created: Record<string, RoomAnnouncement> | undefined;
  let deleted: Record<string, RoomAnnouncement> | undefined;
  if (options.announce) {
    const listed = channels.filter((c) => !isThreadType(c.channel_type));
    const objects = await presentServerChannels(rt, listed, transaction);
    created = Object.fromEntries(objects.map((d) => [rooms.channel(d.id), { t: 'CHANNEL_CREATE', d }]));
    deleted = Object.fromEntries(objects.map((d) => [rooms.channel(d.id), { t: 'CHANNEL_DELETE', d }]));
  }
  for (const userId of userIds) {
    const loaded = await loadMemberFacts(rt.models, serverId, userId, transaction);
    const visible = new Set(
      loaded
        ? (await viewableServerChannels(rt.models, loaded.facts, { threads: true, transaction })).map(
            (c) => c.id,
          )
        : [],
    );
    const join = channels.filter((c) => visible.has(c.id)).map((c) => rooms.channel(c.id));
    const leave = channels.filter((c) => !visible.has(c.id)).map((c) => rooms.channel(c.id));
    if (leave.length) await sink.leaveRooms(rooms.user(userId), leave, deleted);
    if (join.length) await sink.joinRooms(rooms.user(userId), join, created);
  }
}

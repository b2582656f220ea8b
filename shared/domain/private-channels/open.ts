import { QueryTypes } from 'sequelize';
import type { Row } from '../../db/models/index.js';
import { ApiError, NotFoundError } from '../../errors.js';
import { rooms } from '../../events/index.js';
import { runCommand } from '../../outbox/index.js';
import { presentPrivateChannel } from '../../presenters/private-channel.js';
import type { PrivateChannelObject } from '../../presenters/types.js';
import type { Runtime } from '../../runtime.js';
import { decodeSnowflake } from '../../snowflake.js';
import { requireUser } from '../members/present.js';
import { isBlockedEitherWay, orderedPair } from '../relationships/relationships.js';

/**
 * Opens `actorId`'s DM channel with `recipientId`: one per pair, created on the first call (both
 * hear CHANNEL_CREATE), the same channel after. 400 `cannot_message_self`, 404 for an unknown or
 * deleted account, 403 `cannot_message_user` while either has blocked the other.
 */
export async function openDm(
  rt: Runtime,
  actorId: string,
  recipientId: string,
): Promise<PrivateChannelObject> {
  if (recipientId === actorId) {
    throw new ApiError(
      400,
      'cannot_message_self',
      'You cannot open a DM with yourself: use GET /users/@me/notes',
      { recipient_id: 'is your own id' },
    );
  }
  const recipient = await rt.models.User.findByPk(recipientId);
  // Nobody reads a deleted account's DMs.
  if (!recipient || recipient.deleted_at) throw new NotFoundError('user');
  if (await isBlockedEitherWay(rt, actorId, recipient.id)) {
    throw new ApiError(403, 'cannot_message_user', 'You cannot send messages to this user');
  }
  const [low, high] = orderedPair(actorId, recipient.id);
  const members = [await requireUser(rt, actorId), recipient];
  const channel = await openPrivateChannel(rt, { key: `dm:${low}:${high}`, type: 'dm', name: '', members });
  return presentPrivateChannel(rt.config, channel, members, actorId);
}

/** `userId`'s personal notes channel (they are its only recipient), created on the first call. */
export async function openNotes(rt: Runtime, userId: string): Promise<PrivateChannelObject> {
  const members = [await requireUser(rt, userId)];
  const channel = await openPrivateChannel(rt, {
    key: `notes:${userId}`,
    type: 'notes',
    name: 'notes',
    members,
  });
  return presentPrivateChannel(rt.config, channel, members, userId);
}

interface PrivateChannelSpec {
  /** `dm:<lower id>:<higher id>` or `notes:<user id>`: the unique key that makes it exist once. */
  key: string;
  type: 'dm' | 'notes';
  name: string;
  members: Row<'User'>[];
}

/**
 * Returns the private channel with `key`, creating it (with its recipients, in one command) if
 * missing. Race-safe: of two concurrent creators, the second one's INSERT waits for the first and
 * then does nothing, and it reads the first one's channel. The creator's command puts each member's
 * connections in the channel's room and sends them CHANNEL_CREATE.
 */
async function openPrivateChannel(rt: Runtime, spec: PrivateChannelSpec): Promise<Row<'Channel'>> {
  const { Channel, ChannelRecipient } = rt.models;
  const existing = await Channel.findOne({ where: { private_key: spec.key } });
  if (existing) return existing;

  const id = rt.snowflake.next();
  const createdAt = new Date(decodeSnowflake(id).timestampMs).toISOString();
  const created = await runCommand(rt, rooms.channel(id), async (transaction, fx) => {
    const inserted = await rt.sequelize.query<{ id: string }>(
      `INSERT INTO channels (id, name, channel_type, private_key, created_at, updated_at)
       VALUES ($1, $2, $3, $4, $5, $5)
       ON CONFLICT (private_key) DO NOTHING RETURNING id`,
      { bind: [id, spec.name, spec.type, spec.key, createdAt], type: QueryTypes.SELECT, transaction },
    );
    if (inserted.length === 0) return null;
    await ChannelRecipient.bulkCreate(
      spec.members.map((u) => ({ channel_id: id, user_id: u.id })),
      { transaction },
    );
    const channel = await Channel.findByPk(id, { transaction });
    if (!channel) throw new Error(`private channel ${spec.key} vanished while created`);
    fx.invalidate({ channels: [id] });
    for (const member of spec.members) {
      const room = rooms.user(member.id);
      fx.joinRooms(room, [rooms.channel(id)]);
      fx.dispatch(
        [room],
        'CHANNEL_CREATE',
        presentPrivateChannel(rt.config, channel, spec.members, member.id),
      );
    }
    return channel;
  });
  const channel = created ?? (await Channel.findOne({ where: { private_key: spec.key } }));
  if (!channel) throw new Error(`private channel ${spec.key} vanished after creation`);
  return channel;
}

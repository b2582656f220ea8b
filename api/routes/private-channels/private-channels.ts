import { QueryTypes } from 'sequelize';
import type { Row } from '../../../shared/db/models/index.js';
import { invalidate } from '../../../shared/domain/invalidation.js';
import { ApiError, NotFoundError } from '../../../shared/errors.js';
import { rooms } from '../../../shared/events/index.js';
import { presentPrivateChannel } from '../../../shared/presenters/private-channel.js';
import type { Runtime } from '../../../shared/runtime.js';
import { decodeSnowflake } from '../../../shared/snowflake.js';
import { isBlockedEitherWay, orderedPair } from '../../accounts/relationship-commands.js';
import { defineRoute, type AnyRoute } from '../route.js';
import { createDmBody, privateChannelObject } from './schema.js';

/** POST /users/@me/channels (open a DM), GET /users/@me/notes. */
export function privateChannelRoutes(rt: Runtime): AnyRoute[] {
  const { User } = rt.models;
  return [
    defineRoute<Record<string, never>, Record<string, never>, { recipient_id: string }>({
      method: 'post',
      path: '/users/@me/channels',
      access: 'user',
      summary: 'Open the DM channel with a user',
      description:
        'There is one DM channel per pair of users: the first call creates it (both users receive ' +
        '`CHANNEL_CREATE`), later calls by either user return the same channel. The answer is 200 both times. ' +
        'Refused while either user has blocked the other.',
      tags: ['Private channels'],
      body: createDmBody,
      responses: {
        200: { description: 'The DM channel (new or existing)', schema: privateChannelObject },
        400: { description: '`cannot_message_self`: use GET /users/@me/notes' },
        403: { description: '`cannot_message_user`: one of the two users blocked the other' },
        404: { description: 'Unknown user (or a deleted account)' },
      },
      handler: async ({ auth, body }) => {
        const me = auth.user;
        if (body.recipient_id === me.id) {
          throw new ApiError(
            400,
            'cannot_message_self',
            'You cannot open a DM with yourself: use GET /users/@me/notes',
          );
        }
        const recipient = await User.findByPk(body.recipient_id);
        // Nobody reads a deleted account's DMs.
        if (!recipient || recipient.deleted_at) throw new NotFoundError('user');
        if (await isBlockedEitherWay(rt, me.id, recipient.id)) {
          throw new ApiError(403, 'cannot_message_user', 'You cannot send messages to this user');
        }
        const [low, high] = orderedPair(me.id, recipient.id);
        const members = [me, recipient];
        const channel = await openPrivateChannel(rt, {
          key: `dm:${low}:${high}`,
          type: 'dm',
          name: '',
          members,
        });
        return presentPrivateChannel(channel, members, me.id);
      },
    }),
    defineRoute({
      method: 'get',
      path: '/users/@me/notes',
      access: 'user',
      summary: 'The caller’s personal notes channel',
      description:
        'A `notes` channel only its owner sees (its only recipient), created on the first call; always the same one.',
      tags: ['Private channels'],
      responses: { 200: { description: 'The notes channel', schema: privateChannelObject } },
      handler: async ({ auth }) => {
        const members = [auth.user];
        const channel = await openPrivateChannel(rt, {
          key: `notes:${auth.user.id}`,
          type: 'notes',
          name: 'notes',
          members,
        });
        return presentPrivateChannel(channel, members, auth.user.id);
      },
    }),
  ];
}

interface PrivateChannelSpec {
  /** `dm:<lower id>:<higher id>` or `notes:<user id>`: the unique key that makes it exist once. */
  key: string;
  type: 'dm' | 'notes';
  name: string;
  members: Row<'User'>[];
}

/**
 * Returns the private channel with `key`, creating it (with its recipients, in one transaction) if
 * missing. Race-safe: of two concurrent creators, the second one's INSERT waits for the first and
 * then does nothing, and it reads the first one's channel. The creator announces the channel.
 */
async function openPrivateChannel(rt: Runtime, spec: PrivateChannelSpec): Promise<Row<'Channel'>> {
  const { Channel, ChannelRecipient } = rt.models;
  const existing = await Channel.findOne({ where: { private_key: spec.key } });
  if (existing) return existing;

  const id = rt.snowflake.next();
  const createdAt = new Date(decodeSnowflake(id).timestampMs).toISOString();
  const created = await rt.sequelize.transaction(async (transaction) => {
    const inserted = await rt.sequelize.query<{ id: string }>(
      `INSERT INTO channels (id, name, channel_type, private_key, created_at, updated_at)
       VALUES ($1, $2, $3, $4, $5, $5)
       ON CONFLICT (private_key) DO NOTHING RETURNING id`,
      { bind: [id, spec.name, spec.type, spec.key, createdAt], type: QueryTypes.SELECT, transaction },
    );
    if (inserted.length === 0) return false;
    await invalidate(rt, { channels: [id] }, transaction);
    await ChannelRecipient.bulkCreate(
      spec.members.map((u) => ({ channel_id: id, user_id: u.id })),
      { transaction },
    );
    return true;
  });
  const channel = await Channel.findOne({ where: { private_key: spec.key } });
  if (!channel) throw new Error(`private channel ${spec.key} vanished after creation`);
  if (created) await announce(rt, channel, spec.members);
  return channel;
}

/** Puts each member's connections in the channel's room, then sends them CHANNEL_CREATE. */
async function announce(rt: Runtime, channel: Row<'Channel'>, members: Row<'User'>[]): Promise<void> {
  for (const member of members) {
    const room = rooms.user(member.id);
    try {
      await rt.events.joinRooms(room, [rooms.channel(channel.id)]);
      await rt.events.dispatch([room], 'CHANNEL_CREATE', presentPrivateChannel(channel, members, member.id));
    } catch (err) {
      rt.logger.warn(
        { err: (err as Error).message, channel: channel.id, user: member.id },
        'could not announce private channel',
      );
    }
  }
}

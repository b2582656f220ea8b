import { QueryTypes, type Transaction } from 'sequelize';
import type { Row } from '../../db/models/index.js';
import { ApiError, NotFoundError } from '../../errors.js';
import { rooms } from '../../events/index.js';
import { postAwaitedNotice } from '../../messages/system-messages.js';
import type { Effects } from '../../outbox/effects.js';
import { syncChannelRooms } from '../../permissions/index.js';
import { presentServer } from '../../presenters/server.js';
import type { ServerObject } from '../../presenters/types.js';
import type { Runtime } from '../../runtime.js';
import { memberObject } from './present.js';

/**
 * Makes `userId` a member of `serverId` inside a command's transaction: 403 `banned` when they are
 * banned (`bannedMessage` says who). Returns false when they already were a member. The one way in,
 * for invites and for bots; the server's caches move through `fx`, so member lists and permission
 * checks show the member at once. Announce it with announceJoin once the command's other rows are
 * written.
 */
export async function addMember(
  rt: Pick<Runtime, 'models' | 'sequelize'>,
  serverId: string,
  userId: string,
  transaction: Transaction,
  fx: Effects,
  bannedMessage = 'You are banned from this server',
): Promise<boolean> {
  if (await rt.models.Ban.findOne({ where: { server_id: serverId, user_id: userId }, transaction })) {
    throw new ApiError(403, 'banned', bannedMessage);
  }
  // ON CONFLICT: a join racing with another of the same user adds one row and answers false once.
  const inserted = await rt.sequelize.query(
    `INSERT INTO members (server_id, user_id) VALUES (:serverId, :userId)
     ON CONFLICT DO NOTHING RETURNING user_id`,
    { replacements: { serverId, userId }, type: QueryTypes.SELECT, transaction },
  );
  if (inserted.length === 0) return false;
  fx.orderKey ??= rooms.server(serverId);
  fx.invalidate({ servers: [serverId] });
  return true;
}

/** The server object (with its member count) as `transaction` sees it, or 404 `notFound`. */
export async function serverObject(
  rt: Pick<Runtime, 'models' | 'config'>,
  serverId: string,
  transaction?: Transaction,
  notFound = 'server',
): Promise<ServerObject> {
  const server = await rt.models.Server.findByPk(serverId, { transaction });
  if (!server) throw new NotFoundError(notFound);
  const count = await rt.models.Member.count({ where: { server_id: serverId }, transaction });
  return presentServer(rt.config, server, count);
}

/**
 * The effects of a new member, as the last step of the command that added them (so what it reads
 * includes the command's other rows, e.g. a bot's managed role): their connections join the server
 * and the channels they can see, they get SERVER_CREATE, the server gets SERVER_MEMBER_ADD (and its
 * event webhooks the same), and a `member_join` system message is posted in the server's first
 * text channel. Returns that notice's job id (null: the server has no text channel).
 */
export async function announceJoin(
  rt: Pick<Runtime, 'models' | 'events' | 'snowflake' | 'config'>,
  serverId: string,
  userId: string,
  transaction: Transaction,
  fx: Effects,
): Promise<string | null> {
  fx.joinRooms(rooms.user(userId), [rooms.server(serverId)]);
  await syncChannelRooms(rt, serverId, [userId], { transaction, effects: fx });
  fx.dispatch([rooms.user(userId)], 'SERVER_CREATE', await serverObject(rt, serverId, transaction));
  const member = await memberObject(rt, serverId, userId, transaction);
  fx.dispatch([rooms.server(serverId)], 'SERVER_MEMBER_ADD', member);
  fx.outgoing({ type: 'SERVER_MEMBER_ADD', server_id: serverId, data: member });
  const notices = await systemChannelFor(rt, serverId, transaction);
  return notices
    ? postAwaitedNotice(rt, fx, { channel_id: notices.id, type: 'member_join', author_id: userId })
    : null;
}

/**
 * Where a server's notices go (member_join): its first text channel by position. Servers have no
 * system channel setting yet; when one arrives, this is the one place that reads it.
 */
export function systemChannelFor(
  rt: Pick<Runtime, 'models' | 'config'>,
  serverId: string,
  transaction?: Transaction,
): Promise<Row<'Channel'> | null> {
  return rt.models.Channel.findOne({
    where: { server_id: serverId, channel_type: 'text' },
    order: [
      ['position', 'ASC'],
      ['id', 'ASC'],
    ],
    transaction,
  });
}

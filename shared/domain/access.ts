import type { Transaction } from 'sequelize';
import type { Row } from '../db/models/index.js';
import { MissingPermissionError, NotFoundError, ValidationError } from '../errors.js';
import { ServerPolicy, permissionNames } from '../permissions/index.js';
import type { Runtime } from '../runtime.js';

/** A server channel together with the caller's standing in its server. */
export interface ServerChannelAccess {
  channel: Row<'Channel'>;
  policy: ServerPolicy;
}

/** A private channel (DM or notes) the caller is a recipient of, with every recipient. */
export interface PrivateChannelAccess {
  channel: Row<'Channel'>;
  policy: null;
  recipients: Row<'User'>[];
}

/**
 * Loads a channel for the caller: 404 `unknown_channel` when it does not exist, when the caller is
 * not a member of its server, or is not a recipient of a private channel. Visibility inside the
 * server (VIEW_CHANNEL) is the caller's to check with `policy.requireChannel`.
 */
export async function loadChannel(
  rt: Pick<Runtime, 'models'>,
  channelId: string,
  userId: string,
): Promise<ServerChannelAccess | PrivateChannelAccess> {
  const { Channel, ChannelRecipient, User } = rt.models;
  const channel = await Channel.findByPk(channelId);
  if (!channel) throw new NotFoundError('channel');
  if (channel.server_id === null) {
    const recipientRows = await ChannelRecipient.findAll({ where: { channel_id: channel.id } });
    if (!recipientRows.some((r) => r.user_id === userId)) throw new NotFoundError('channel');
    const recipients = await User.findAll({
      where: { id: recipientRows.map((r) => r.user_id) },
      order: [['id', 'ASC']],
    });
    return { channel, policy: null, recipients };
  }
  try {
    return { channel, policy: await ServerPolicy.load(rt, channel.server_id, userId) };
  } catch (err) {
    if (err instanceof NotFoundError) throw new NotFoundError('channel');
    throw err;
  }
}

/**
 * Loads a server channel the caller can see and holding `needed` there (404 when they cannot see
 * it, 403 naming what is missing). Private channels grant no server permission: their recipients
 * get 403 naming `needed`, everyone else 404.
 */
export async function requireServerChannel(
  rt: Pick<Runtime, 'models'>,
  channelId: string,
  userId: string,
  needed: bigint,
): Promise<ServerChannelAccess & { permissions: bigint }> {
  const access = await loadChannel(rt, channelId, userId);
  if (access.policy === null) {
    throw new MissingPermissionError(permissionNames(needed).join(', '));
  }
  const permissions = await access.policy.requireChannel(access.channel, needed);
  return { channel: access.channel, policy: access.policy, permissions };
}

/** The ids of every member of a server. */
export async function memberIds(
  rt: Pick<Runtime, 'models'>,
  serverId: string,
  transaction?: Transaction,
): Promise<string[]> {
  const rows = await rt.models.Member.findAll({
    where: { server_id: serverId },
    attributes: ['user_id'],
    transaction,
  });
  return rows.map((r) => r.user_id);
}

/**
 * Checks a channel's new parent: it must be a category of the same server, and a category cannot
 * have a parent. Throws 400 naming `field`.
 */
export async function checkParent(
  rt: Pick<Runtime, 'models'>,
  serverId: string,
  channel: { id?: string; channel_type: string },
  parentId: string | null | undefined,
  field = 'parent_id',
  transaction?: Transaction,
): Promise<void> {
  if (parentId === null || parentId === undefined) return;
  if (channel.channel_type === 'category') {
    throw new ValidationError({ [field]: `${field} must be null for a category (categories cannot nest)` });
  }
  const parent = await rt.models.Channel.findByPk(parentId, { transaction });
  if (!parent || parent.server_id !== serverId || parent.channel_type !== 'category') {
    throw new ValidationError({ [field]: `${field} must be a category of the same server` });
  }
}

/**
 * Holds the server row for the rest of a command's transaction, so what is counted or ordered per
 * server (role and channel positions, the emoji cap) is read and written by one command at a time.
 * 404 when the server is gone.
 */
export async function lockServer(
  rt: Pick<Runtime, 'models'>,
  serverId: string,
  transaction: Transaction,
): Promise<Row<'Server'>> {
  const server = await rt.models.Server.findByPk(serverId, { transaction, lock: transaction.LOCK.UPDATE });
  if (!server) throw new NotFoundError('server');
  return server;
}

import type { Transaction } from 'sequelize';
import type { Row } from '../../db/models/index.js';
import { overwritesByChannel, presentChannel } from '../../presenters/server.js';
import type { ServerChannelObject } from '../../presenters/types.js';
import type { Runtime } from '../../runtime.js';

/**
 * Server channels (not threads) as every route and dispatch presents them, with their permission
 * overwrites: one query for all of them, in `transaction` if given (a command's own rows).
 */
export async function presentServerChannels(
  rt: Pick<Runtime, 'models'>,
  channels: readonly Row<'Channel'>[],
  transaction?: Transaction,
): Promise<ServerChannelObject[]> {
  if (channels.length === 0) return [];
  const overwrites = await rt.models.PermissionOverwrite.findAll({
    where: { channel_id: channels.map((c) => c.id) },
    transaction,
  });
  const byChannel = overwritesByChannel(overwrites);
  return channels.map((c) => presentChannel(c, byChannel.get(c.id) ?? []));
}

/** One server channel (not a thread) with its permission overwrites; see presentServerChannels. */
export async function presentServerChannel(
  rt: Pick<Runtime, 'models'>,
  channel: Row<'Channel'>,
  transaction?: Transaction,
): Promise<ServerChannelObject> {
  const [object] = await presentServerChannels(rt, [channel], transaction);
  return object as ServerChannelObject;
}

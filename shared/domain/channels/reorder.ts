import type { Row } from '../../db/models/index.js';
import { NotFoundError, ValidationError } from '../../errors.js';
import { rooms } from '../../events/index.js';
import { runCommand } from '../../outbox/index.js';
import { Permission, ServerPolicy, viewableServerChannels } from '../../permissions/index.js';
import type { Runtime } from '../../runtime.js';
import { checkParent } from '../access.js';
import { announceChannelUpdate, applyChannelPatch } from './rules.js';

/** One item of a reorder. */
export interface PositionChange {
  id: string;
  position: number;
  parent_id?: string | null;
}

/**
 * Reorders a server's channels (MANAGE_CHANNELS). Every id must be a channel of the server the
 * caller can see (400 naming `<index>.id` otherwise). Each changed channel is audited as
 * channel_update and announced with CHANNEL_UPDATE.
 */
export async function reorderChannels(
  rt: Runtime,
  serverId: string,
  actorId: string,
  items: PositionChange[],
  reason: string | null,
): Promise<void> {
  const policy = await ServerPolicy.load(rt, serverId, actorId);
  policy.require(Permission.MANAGE_CHANNELS);
  const visible = new Map((await viewableServerChannels(rt.models, policy.facts)).map((c) => [c.id, c]));
  const errors: Record<string, string> = {};
  items.forEach((item, i) => {
    if (!visible.has(item.id)) errors[`${i}.id`] = `${i}.id is not a channel of this server`;
  });
  if (Object.keys(errors).length > 0) throw new ValidationError(errors);
  for (const [i, item] of items.entries()) {
    const channel = visible.get(item.id) as Row<'Channel'>;
    await checkParent(rt, serverId, channel, item.parent_id, `${i}.parent_id`);
  }

  await runCommand(rt, rooms.server(serverId), async (transaction, fx) => {
    for (const item of items) {
      const channel = await rt.models.Channel.findOne({
        where: { id: item.id, server_id: serverId },
        transaction,
        lock: transaction.LOCK.UPDATE,
      });
      if (!channel) throw new NotFoundError('channel');
      const patch: { position: number; parent_id?: string | null } = { position: item.position };
      if (item.parent_id !== undefined) patch.parent_id = item.parent_id;
      if (await applyChannelPatch(rt, channel, patch, { serverId, actorId, reason }, transaction, fx))
        await announceChannelUpdate(rt, fx, serverId, channel, transaction);
    }
  });
}

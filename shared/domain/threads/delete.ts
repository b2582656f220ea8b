import { Op, type Transaction } from 'sequelize';
import { THREAD_CHANNEL_TYPES } from '../../db/models/index.js';
import { rooms } from '../../events/index.js';
import type { Effects } from '../../outbox/index.js';
import type { Runtime } from '../../runtime.js';

/**
 * Inside a parent channel's deletion: its threads go with it (the schema would only orphan them).
 * Returns their ids, for forgetThreadRooms.
 */
export async function deleteThreadsOf(
  rt: Pick<Runtime, 'models'>,
  parentId: string,
  transaction: Transaction,
): Promise<string[]> {
  const threads = await rt.models.Channel.findAll({
    where: { parent_id: parentId, channel_type: { [Op.in]: THREAD_CHANNEL_TYPES } },
    attributes: ['id'],
    transaction,
  });
  const ids = threads.map((t) => t.id);
  if (ids.length > 0) await rt.models.Channel.destroy({ where: { id: ids }, transaction });
  return ids;
}

/** Empties the rooms of deleted threads on every gateway, after the commit. */
export function forgetThreadRooms(fx: Effects, threadIds: string[]): void {
  for (const id of threadIds) {
    const room = rooms.channel(id);
    fx.leaveRooms(room, [room]);
  }
}

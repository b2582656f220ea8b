import { QueryTypes, type Transaction } from 'sequelize';
import { ApiError } from '../../errors.js';
import type { Runtime } from '../../runtime.js';
import { invalidate } from '../invalidation.js';

/**
 * Makes `userId` a member of `serverId` inside the caller's transaction: 403 `banned` when they are
 * banned (`bannedMessage` says who). Returns false when they already were a member. The one way in,
 * for invites and for bots; the server's caches move on commit, so member lists and permission
 * checks show the member at once.
 */
export async function addMember(
  rt: Pick<Runtime, 'models' | 'sequelize' | 'redis' | 'config'>,
  serverId: string,
  userId: string,
  transaction: Transaction,
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
  await invalidate(rt, { servers: [serverId] }, transaction);
  return true;
}

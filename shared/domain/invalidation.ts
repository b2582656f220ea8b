import type { Transaction } from 'sequelize';
import { bumpPermissionEpochs } from '../permissions/facts-cache.js';
import type { Runtime } from '../runtime.js';

/**
 * For a write the ORM hooks cannot see (raw SQL) to servers, members, roles or member roles:
 * moves the servers' cache epochs (member facts, member list pages) once `transaction` commits, or
 * at once without one. Earlier, a reader could cache the old rows under the new epoch.
 */
export async function moveServerEpochs(
  rt: Pick<Runtime, 'redis' | 'config'>,
  serverIds: string[],
  transaction?: Transaction,
): Promise<void> {
  const move = () => bumpPermissionEpochs(rt.redis, rt.config.redis.key_prefix, serverIds);
  if (transaction) transaction.afterCommit(move);
  else await move();
}

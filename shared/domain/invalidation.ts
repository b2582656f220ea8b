import type { Transaction } from 'sequelize';
import { moveAccountEpochs } from '../auth/session-cache.js';
import { moveEpochs } from '../permissions/facts-cache.js';
import type { Runtime } from '../runtime.js';

/**
 * What a write changed, as the caches of shared/permissions/facts-cache.ts see it. Plain JSON, so
 * an outbox row can carry it. Every write to these rows says so here, whether through the models
 * or raw SQL: nothing else moves the caches.
 */
export interface Moved {
  /** Servers whose row, members, roles or member roles changed (member facts, member list pages). */
  servers?: string[];
  /** Channels whose row or permission overwrites changed (including ones created or deleted). */
  channels?: string[];
  /**
   * Users whose name, avatar or bot flag changed: the member list pages of the servers they are
   * in (looked up when the caches move, so after the write).
   */
  users?: string[];
  /**
   * Users whose row or any of whose sessions changed (a revocation, a password, a flag, a name):
   * the copies of their sessions that token checks read (shared/auth/session-cache.ts). Said
   * through a command's effects (`fx.invalidate`), whose relay retries a move that failed.
   */
  accounts?: string[];
}

type InvalidationRuntime = Pick<Runtime, 'models' | 'redis' | 'config'>;

/**
 * The single entry point of cache invalidation: moves the caches `moved` names once `transaction`
 * commits (earlier, a reader could cache the old rows under the new epoch), or at once without one
 * (a write outside a transaction, or a relay running after the commit).
 */
export async function invalidate(
  rt: InvalidationRuntime,
  moved: Moved,
  transaction?: Transaction | null,
): Promise<void> {
  if (transaction) transaction.afterCommit(() => move(rt, moved));
  else await move(rt, moved);
}

async function move(rt: InvalidationRuntime, moved: Moved): Promise<void> {
  // First, and throwing when Redis fails: the relay then retries the whole effect, rather than a
  // revoked token passing until its copy expires.
  await moveAccountEpochs(rt.redis, rt.config.redis.key_prefix, moved.accounts ?? []);
  const servers = new Set(moved.servers);
  let global = false;
  if (moved.users?.length) {
    // The database failing here must not leave stale lists: then every epoch moves.
    const rows = await rt.models.Member.findAll({
      attributes: ['server_id'],
      where: { user_id: moved.users },
    }).catch(() => null);
    if (rows) for (const row of rows) servers.add(row.server_id);
    else global = true;
  }
  await moveEpochs(rt.redis, rt.config.redis.key_prefix, {
    servers: [...servers],
    channels: [...new Set(moved.channels)],
    global,
  });
}

import { QueryTypes } from 'sequelize';
import type { Runtime } from '../runtime.js';

/** How long a "has / has no push subscription" answer is cached per user. */
const FLAG_TTL_SECONDS = 600;

function flagKey(rt: Pick<Runtime, 'config'>, userId: string): string {
  return `${rt.config.redis.key_prefix}:push:has:${userId}`;
}

/**
 * Which of `userIds` have at least one push subscription: the question every message with
 * someone to notify asks, so it is one MGET of cached flags, with one indexed query for the
 * users whose flag expired. Readers write flags with NX so that a subscription registered while
 * they read the table (which sets the flag to 1) is never covered up by their stale 0.
 */
export async function usersWithSubscriptions(
  rt: Pick<Runtime, 'config' | 'redis' | 'sequelize'>,
  userIds: string[],
): Promise<Set<string>> {
  const found = new Set<string>();
  if (userIds.length === 0) return found;
  const flags = await rt.redis.mget(...userIds.map((id) => flagKey(rt, id)));
  const unknown: string[] = [];
  userIds.forEach((id, i) => {
    if (flags[i] === '1') found.add(id);
    else if (flags[i] !== '0') unknown.push(id);
  });
  if (unknown.length === 0) return found;
  const rows = await rt.sequelize.query<{ user_id: string }>(
    `SELECT DISTINCT user_id FROM push_subscriptions WHERE user_id = ANY($1::bigint[])`,
    { bind: [unknown], type: QueryTypes.SELECT },
  );
  const subscribed = new Set(rows.map((r) => String(r.user_id)));
  const pipeline = rt.redis.pipeline();
  for (const id of unknown) {
    pipeline.set(flagKey(rt, id), subscribed.has(id) ? '1' : '0', 'EX', FLAG_TTL_SECONDS, 'NX');
    if (subscribed.has(id)) found.add(id);
  }
  await pipeline.exec();
  return found;
}

/** After a subscription was stored: the user has one (overwrites a cached 0). */
export async function markSubscribed(rt: Pick<Runtime, 'config' | 'redis'>, userId: string): Promise<void> {
  await rt.redis.set(flagKey(rt, userId), '1', 'EX', FLAG_TTL_SECONDS);
}

/** After a subscription was removed: the next reader counts again. */
export async function forgetSubscriberFlag(
  rt: Pick<Runtime, 'config' | 'redis'>,
  userId: string,
): Promise<void> {
  await rt.redis.del(flagKey(rt, userId));
}

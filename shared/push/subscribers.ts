import { QueryTypes } from 'sequelize';
import type { Runtime } from '../runtime.js';

/** How long a "has / has no push subscription" answer is cached per user. */
const FLAG_TTL_SECONDS = 600;

function flagKey(rt: Pick<Runtime, 'config'>, userId: string): string {
  return `${rt.config.redis.key_prefix}:push:has:${userId}`;
}

/** Which of `userIds` have a push subscription, in the table (one indexed query). */
async function subscribedAmong(rt: Pick<Runtime, 'sequelize'>, userIds: string[]): Promise<Set<string>> {
  const rows = await rt.sequelize.query<{ user_id: string }>(
    `SELECT DISTINCT user_id FROM push_subscriptions WHERE user_id = ANY($1::bigint[])`,
    { bind: [userIds], type: QueryTypes.SELECT },
  );
  return new Set(rows.map((r) => String(r.user_id)));
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
  const subscribed = await subscribedAmong(rt, unknown);
  const pipeline = rt.redis.pipeline();
  for (const id of unknown) {
    pipeline.set(flagKey(rt, id), subscribed.has(id) ? '1' : '0', 'EX', FLAG_TTL_SECONDS, 'NX');
    if (subscribed.has(id)) found.add(id);
  }
  await pipeline.exec();
  return found;
}

/**
 * After subscriptions of `userIds` were stored or removed (an outbox `refresh` effect, relayed after
 * the commit): a user who has one is flagged 1, overwriting a cached 0; one who has none loses the
 * flag, so the next reader counts again (never a 0 written here that a later subscribe's relay
 * could be overtaken by). Safe to run again.
 */
export async function refreshSubscriberFlags(
  rt: Pick<Runtime, 'config' | 'redis' | 'sequelize'>,
  userIds: string[],
): Promise<void> {
  if (userIds.length === 0) return;
  const subscribed = await subscribedAmong(rt, userIds);
  const pipeline = rt.redis.pipeline();
  for (const id of userIds) {
    if (subscribed.has(id)) pipeline.set(flagKey(rt, id), '1', 'EX', FLAG_TTL_SECONDS);
    else pipeline.del(flagKey(rt, id));
  }
  await pipeline.exec();
}

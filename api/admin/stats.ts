import { QueryTypes } from 'sequelize';
import type { Runtime } from '../../shared/runtime.js';
import { snowflakeFromTimestamp } from '../../shared/snowflake.js';

/**
 * The numbers on the admin overview: counts from Postgres, queue depths from Redis, and the
 * request, rate-limit, job and gateway figures of every live process (each publishes its own to
 * Redis: shared/metrics/instance-stats.ts), summed in `instance`, with the answering one's apart.
 */
export async function instanceStats(rt: Runtime) {
  const dayAgo = snowflakeFromTimestamp(Date.now() - 86_400_000);
  const [row] = await rt.sequelize.query<Record<string, string>>(
    `SELECT
       (SELECT count(*) FROM users WHERE NOT is_bot) AS users,
       (SELECT count(*) FROM users WHERE is_bot) AS bots,
       (SELECT count(*) FROM users WHERE disabled_at IS NOT NULL) AS disabled_users,
       (SELECT count(*) FROM servers) AS servers,
       (SELECT count(*) FROM channels) AS channels,
       (SELECT count(*) FROM messages) AS messages,
       (SELECT count(*) FROM messages WHERE id >= :dayAgo) AS messages_24h`,
    { type: QueryTypes.SELECT, replacements: { dayAgo } },
  );
  const counts = Object.fromEntries(Object.entries(row ?? {}).map(([k, v]) => [k, Number(v)]));
  const queues = Object.fromEntries(
    await Promise.all(
      Object.entries(rt.queues).map(async ([name, queue]) => [
        name,
        await queue.getJobCounts('waiting', 'active', 'delayed', 'failed', 'completed'),
      ]),
    ),
  ) as Record<string, Record<string, number>>;
  const figures = await rt.stats.instance();
  return {
    users: counts.users ?? 0,
    bots: counts.bots ?? 0,
    disabled_users: counts.disabled_users ?? 0,
    servers: counts.servers ?? 0,
    channels: counts.channels ?? 0,
    messages: counts.messages ?? 0,
    messages_24h: counts.messages_24h ?? 0,
    queues,
    // API.md lists rate-limit hits beside the counts: the instance's, at the top level too.
    rate_limit_hits: figures.instance.rate_limit_hits,
    ...figures,
  };
}

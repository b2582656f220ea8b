import { QueryTypes } from 'sequelize';
import type { Runtime } from '../../shared/runtime.js';
import { snowflakeFromTimestamp } from '../../shared/snowflake.js';

type Sums = Record<string, number>;

/** Sums a metric's values by one label (this process's counters). */
async function sumBy(rt: Pick<Runtime, 'metrics'>, name: string, label: string): Promise<Sums> {
  const metric = rt.metrics.registry.getSingleMetric(name);
  if (!metric) return {};
  const sums: Sums = {};
  for (const { labels, value } of (await metric.get()).values) {
    const key = String(labels[label] ?? '');
    sums[key] = (sums[key] ?? 0) + value;
  }
  return sums;
}

/**
 * The numbers on the admin overview: counts from Postgres, queue depths from Redis, and this
 * process's request, rate-limit and gateway figures from its metrics (Prometheus has every
 * process's; this is the one answering).
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
  const byStatus = await sumBy(rt, 'plexichat_http_requests_total', 'status');
  const statusClass = (c: string) =>
    Object.entries(byStatus)
      .filter(([s]) => s.startsWith(c))
      .reduce((n, [, v]) => n + v, 0);
  const sessions = await sumBy(rt, 'plexichat_gateway_sessions', 'state');
  const jobs = await sumBy(rt, 'plexichat_queue_jobs_total', 'result');
  return {
    users: counts.users ?? 0,
    bots: counts.bots ?? 0,
    disabled_users: counts.disabled_users ?? 0,
    servers: counts.servers ?? 0,
    channels: counts.channels ?? 0,
    messages: counts.messages ?? 0,
    messages_24h: counts.messages_24h ?? 0,
    queues,
    process: {
      role: rt.role,
      uptime_seconds: Math.round(process.uptime()),
      rss_bytes: process.memoryUsage().rss,
      http_requests: Object.values(byStatus).reduce((n, v) => n + v, 0),
      http_4xx: statusClass('4'),
      http_5xx: statusClass('5'),
      rate_limit_hits: await sumBy(rt, 'plexichat_rate_limit_hits_total', 'bucket'),
      jobs_completed: jobs.completed ?? 0,
      jobs_failed: jobs.failed ?? 0,
      gateway_sessions: sessions.live ?? 0,
    },
  };
}

import type { Sequelize } from 'sequelize';
import type { QueueSet } from '../queues/index.js';
import type { Metrics } from './metrics.js';

const JOB_STATES = ['waiting', 'active', 'delayed', 'failed', 'prioritized', 'waiting-children'] as const;

/** Queue depths per queue and state, read from Redis at scrape time (the same for every process). */
export function sampleQueues(metrics: Metrics, queues: QueueSet): void {
  metrics.sampled('plexichat_queue_jobs', 'Jobs per queue and state', ['queue', 'state'], async () => {
    const rows = await Promise.all(
      Object.entries(queues).map(async ([name, queue]) => {
        const counts = await queue.getJobCounts(...JOB_STATES);
        return JOB_STATES.map((state) => ({ labels: { queue: name, state }, value: counts[state] ?? 0 }));
      }),
    );
    return rows.flat();
  });
}

/** The shape of sequelize's pool (sequelize-pool), which its typings do not expose. */
interface PoolStats {
  size: number;
  available: number;
  using: number;
  waiting: number;
}

/** Postgres pool use: connections open, idle, in use, and requests waiting for one. */
export function samplePool(metrics: Metrics, sequelize: Sequelize): void {
  metrics.sampled('plexichat_db_pool_connections', 'Database pool connections by state', ['state'], () => {
    const pool = (sequelize.connectionManager as unknown as { pool?: PoolStats }).pool;
    if (!pool) return Promise.resolve([]);
    return Promise.resolve(
      (['size', 'available', 'using', 'waiting'] as const).map((state) => ({
        labels: { state },
        value: pool[state],
      })),
    );
  });
}

import type { Redis } from 'ioredis';
import type { Sequelize } from 'sequelize';
import type { Config } from './config/index.js';
import { createSequelize } from './db/connection.js';
import { assertMigrated } from './db/migrator.js';
import { defineModels, type Models } from './db/models/index.js';
import { EventPublisher } from './events/index.js';
import { Lifecycle } from './lifecycle.js';
import { adminSinkOf, createLogger, type Logger } from './logger.js';
import { InstanceStats } from './metrics/instance-stats.js';
import { Metrics } from './metrics/metrics.js';
import { samplePool, sampleQueues } from './metrics/samplers.js';
import { createQueues, closeQueues, type QueueSet } from './queues/index.js';
import { createRedis, waitForRedis } from './redis.js';
import { SnowflakeGenerator } from './snowflake.js';
import { SnowflakeLease, type IdMinter } from './snowflake-lease.js';
import { createStorage } from './storage/index.js';
import type { BlobStorage } from './storage/types.js';

/** Everything a role needs to talk to Postgres, Redis, the queues and the gateway. */
export interface Runtime {
  config: Config;
  role: string;
  logger: Logger;
  sequelize: Sequelize;
  models: Models;
  /** Fail-fast Redis connection for request paths (queues, events, caches). */
  redis: Redis;
  queues: QueueSet;
  events: EventPublisher;
  /** Mints ids under a fixed or a leased (datacenter, worker) pair (config `snowflake`). */
  snowflake: IdMinter;
  /** Where uploaded files live (`storage.driver`). */
  storage: BlobStorage;
  lifecycle: Lifecycle;
  /** This process's Prometheus metrics (shared by the roles running in it). */
  metrics: Metrics;
  /** This process's figures published to Redis, and every live process's (GET /admin/stats). */
  stats: InstanceStats;
}

export interface RuntimeOptions {
  /** Skip the boot check that the database schema is current (only the migrate command does). */
  skipMigrationCheck?: boolean;
  logger?: Logger;
  /** Register closers on an existing lifecycle (the all-in-one process owns one for everything). */
  lifecycle?: Lifecycle;
}

/**
 * Connects to Postgres and Redis and builds the shared pieces. Refuses to start on an unreachable
 * database or one whose migrations are behind; Redis may come up later (health reports it).
 */
export async function createRuntime(
  config: Config,
  role: string,
  options: RuntimeOptions = {},
): Promise<Runtime> {
  const logger = options.logger ?? createLogger(config, role);
  const lifecycle = options.lifecycle ?? new Lifecycle(logger);
  try {
    const sequelize = createSequelize(config, logger);
    lifecycle.add('database', () => sequelize.close());
    await sequelize.authenticate();
    if (!options.skipMigrationCheck) await assertMigrated(sequelize);

    const redis = createRedis(config, 'command', logger);
    lifecycle.add('redis', () => void redis.disconnect());
    const sink = adminSinkOf(logger);
    if (sink) {
      sink.attach(redis, config);
      lifecycle.add('admin log', () => sink.detach());
    }
    await waitForRedis(redis).catch((err: Error) => logger.warn({ err: err.message }, 'redis not ready yet'));
    const queues = createQueues(config, redis, (err, queue) =>
      logger.debug({ err: err.message, queue }, 'queue error'),
    );
    lifecycle.add('queues', () => closeQueues(queues));
    const storage = createStorage(config);
    lifecycle.add('storage', () => storage.close());
    const models = defineModels(sequelize);
    const snowflake = await mintIds(config, redis, logger, lifecycle);
    const metrics = new Metrics();
    sampleQueues(metrics, queues);
    samplePool(metrics, sequelize);
    const stats = new InstanceStats(redis, config, role, metrics, logger);
    stats.start();
    lifecycle.add('stats', () => stats.stop());

    return {
      config,
      role,
      logger,
      sequelize,
      models,
      redis,
      queues,
      events: new EventPublisher(redis, config),
      snowflake,
      storage,
      lifecycle,
      metrics,
      stats,
    };
  } catch (err) {
    await lifecycle.close();
    throw err;
  }
}

/**
 * A generator on the configured pair when both ids are set; otherwise a pair leased from Redis,
 * released on shutdown. Without Redis at boot it starts without one (minting answers 503) and
 * leases on a later tick.
 */
async function mintIds(
  config: Config,
  redis: Redis,
  logger: Logger,
  lifecycle: Lifecycle,
): Promise<IdMinter> {
  const { datacenter_id: datacenterId, worker_id: workerId, lease_seconds } = config.snowflake;
  if (datacenterId !== null && workerId !== null) return new SnowflakeGenerator({ datacenterId, workerId });
  const lease = new SnowflakeLease(redis, config.redis.key_prefix, {
    datacenterId,
    workerId,
    ttlMs: lease_seconds * 1000,
    logger,
  });
  await lease.start();
  lifecycle.add('snowflake lease', () => lease.release());
  return lease;
}

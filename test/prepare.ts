import { Redis } from 'ioredis';
import { createSequelize } from '../shared/db/connection.js';
import { ensureDatabase } from '../shared/db/ensure-database.js';
import { migrateUp } from '../shared/db/migrator.js';
import { createLogger } from '../shared/logger.js';
import { TEST_DATABASE_URL, TEST_REDIS_URL } from './helpers/env.js';

/** Once per run: the test database exists and is migrated, and Redis answers. */
export async function prepareTestEnvironment(): Promise<void> {
  const logger = createLogger({ log: { level: 'warn', pretty: false } }, 'test-setup');
  try {
    await ensureDatabase(TEST_DATABASE_URL);
  } catch (err) {
    throw new Error(`tests need Postgres at ${TEST_DATABASE_URL}: ${(err as Error).message}`, { cause: err });
  }
  const sequelize = createSequelize(
    {
      database: {
        url: TEST_DATABASE_URL,
        name: 'plexichat_test',
        pool: { max: 2, min: 0, idle_ms: 1000, acquire_ms: 10000 },
        embedded_port: 0,
        ssl: false,
        log_sql: false,
      },
    },
    logger,
  );
  try {
    await migrateUp(sequelize, logger);
  } finally {
    await sequelize.close();
  }
  const redis = new Redis(TEST_REDIS_URL, {
    lazyConnect: true,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
  });
  redis.on('error', () => undefined);
  try {
    await redis.connect();
    await redis.ping();
  } catch (err) {
    throw new Error(`tests need Redis at ${TEST_REDIS_URL}: ${(err as Error).message}`, { cause: err });
  } finally {
    redis.disconnect();
  }
}

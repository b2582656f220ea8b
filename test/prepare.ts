import { Redis } from 'ioredis';
import { ensureDatabase } from '../shared/db/ensure-database.js';
import { TEST_DATABASE_URL, TEST_REDIS_URL } from './helpers/env.js';
import { migrateDatabase } from './helpers/services.js';

/** Once per run: the test database exists and is migrated, and Redis answers. */
export async function prepareTestEnvironment(): Promise<void> {
  try {
    await ensureDatabase(TEST_DATABASE_URL);
  } catch (err) {
    throw new Error(`tests need Postgres at ${TEST_DATABASE_URL}: ${(err as Error).message}`, { cause: err });
  }
  await migrateDatabase(TEST_DATABASE_URL);
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

/** Where the tests find Postgres and Redis (overridable for machines that run them elsewhere). */
export const TEST_DATABASE_URL =
  process.env.PLEXICHAT_TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/plexichat_test';
export const TEST_REDIS_URL = process.env.PLEXICHAT_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

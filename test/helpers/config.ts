import crypto from 'node:crypto';
import os from 'node:os';
import path from 'node:path';
import { loadConfig, type Config } from '../../shared/config/index.js';
import { TEST_DATABASE_URL, TEST_REDIS_URL } from './env.js';

type Tree = Record<string, unknown>;

/**
 * A validated config for tests: the test database, and a Redis key prefix of its own so that test
 * files running in parallel never see each other's queues or events.
 */
export function testConfig(overrides: Tree = {}): Config {
  const id = crypto.randomBytes(4).toString('hex');
  return loadConfig({
    // A HOME without ~/.plexichat: only the values below and the defaults apply.
    env: { HOME: path.join(os.tmpdir(), 'plexichat-test-home') },
    overrides: deepMerge(
      {
        mode: 'test',
        data_dir: path.join(os.tmpdir(), `plexichat-test-${id}`),
        // The admin log in Redis only where a test reads it (test/api/admin/logs.test.ts).
        log: { level: process.env.PLEXICHAT_TEST_LOG_LEVEL ?? 'silent', admin: { enabled: false } },
        // Tests speak for many clients through X-Forwarded-For, as a proxy on loopback would.
        server: { port: 0, trusted_proxies: ['127.0.0.1', '::1'] },
        database: { url: TEST_DATABASE_URL, pool: { max: 5 } },
        redis: { url: TEST_REDIS_URL, key_prefix: `test-${id}` },
        queues: { backoff_ms: 50 },
        // Cheaper password hashing keeps the suite fast; the format and the check are the same.
        security: { scrypt_cost: 12 },
        gateway: { port: 0 },
        // A standalone voice process takes any free port (parallel files must not collide).
        voice: { port: 0 },
        // Suites fire bursts from one user; test/api/rate-limits.test.ts turns the limits on.
        rate_limits: { enabled: false },
        // Parallel jest workers must never mint the same snowflake.
        snowflake: { worker_id: Number(process.env.JEST_WORKER_ID ?? 1) % 32 },
      },
      overrides,
    ),
  });
}

/** The environment variables that reproduce `config` in a child process. */
export function configEnv(config: Config): NodeJS.ProcessEnv {
  return {
    PLEXICHAT_MODE: config.mode,
    PLEXICHAT_DATA_DIR: config.data_dir,
    PLEXICHAT_LOG__LEVEL: config.log.level,
    PLEXICHAT_LOG__ADMIN__ENABLED: String(config.log.admin.enabled),
    PLEXICHAT_DATABASE__URL: config.database.url ?? 'null',
    PLEXICHAT_REDIS__URL: config.redis.url ?? 'null',
    PLEXICHAT_REDIS__KEY_PREFIX: config.redis.key_prefix,
    PLEXICHAT_GATEWAY__PORT: String(config.gateway.port),
    PLEXICHAT_VOICE__PORT: String(config.voice.port),
    PLEXICHAT_GATEWAY__PATH: config.gateway.path,
    PLEXICHAT_QUEUES__LOCK_MS: String(config.queues.lock_ms),
    PLEXICHAT_QUEUES__STALLED_INTERVAL_MS: String(config.queues.stalled_interval_ms),
    PLEXICHAT_QUEUES__WAIT_TIMEOUT_MS: String(config.queues.wait_timeout_ms),
    PLEXICHAT_QUEUES__SEND_WAIT_MS: String(config.queues.send_wait_ms),
    PLEXICHAT_QUEUES__MESSAGE_BATCH_WINDOW_MS: String(config.queues.message_batch_window_ms),
    PLEXICHAT_GATEWAY__RESUME_WINDOW_SECONDS: String(config.gateway.resume_window_seconds),
    PLEXICHAT_GATEWAY__RESUME_BUFFER_SIZE: String(config.gateway.resume_buffer_size),
    PLEXICHAT_GATEWAY__PRESENCE_HEARTBEAT_SECONDS: String(config.gateway.presence_heartbeat_seconds),
    PLEXICHAT_GATEWAY__TYPING_THROTTLE_SECONDS: String(config.gateway.typing_throttle_seconds),
    PLEXICHAT_RATE_LIMITS__ENABLED: String(config.rate_limits.enabled),
    PLEXICHAT_SECURITY__SCRYPT_COST: String(config.security.scrypt_cost),
  };
}

function deepMerge(base: Tree, extra: Tree): Tree {
  const out: Tree = { ...base };
  for (const [key, value] of Object.entries(extra)) {
    const existing = out[key];
    out[key] =
      value && typeof value === 'object' && !Array.isArray(value) && existing && typeof existing === 'object'
        ? deepMerge(existing as Tree, value as Tree)
        : value;
  }
  return out;
}

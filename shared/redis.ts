import { Redis, type RedisOptions } from 'ioredis';
import type { Config } from './config/index.js';
import type { Logger } from './logger.js';

/** Where Redis is when the config leaves `redis.url` unset. */
export const LOCAL_REDIS_URL = 'redis://127.0.0.1:6379';

/**
 * How a connection is used, following BullMQ's production guide:
 * - `command`: request-path clients (API queues, event publishing) fail fast while Redis is down
 *   instead of queueing commands in memory and hanging the request;
 * - `worker`: BullMQ workers and blocking reads retry forever (`maxRetriesPerRequest: null`);
 * - `subscriber`: pub/sub connections for the socket.io adapter.
 */
export type RedisPurpose = 'command' | 'worker' | 'subscriber';

/** The Redis URL in effect. */
export function redisUrl(config: Pick<Config, 'redis'>): string {
  return config.redis.url ?? LOCAL_REDIS_URL;
}

/** Opens an ioredis client configured for its purpose; connection errors are logged, never thrown. */
export function createRedis(config: Pick<Config, 'redis'>, purpose: RedisPurpose, logger: Logger): Redis {
  const options: RedisOptions = {
    connectionName: `plexichat:${purpose}`,
    // Reconnect with a capped backoff; a Redis restart must not need a Plexichat restart.
    retryStrategy: (times) => Math.min(times * 200, 2000),
  };
  if (purpose === 'command') {
    options.enableOfflineQueue = false;
    options.maxRetriesPerRequest = 1;
  } else {
    options.maxRetriesPerRequest = null;
  }
  const client = new Redis(redisUrl(config), options);
  let lastLogged = 0;
  client.on('error', (err: Error) => {
    // ioredis emits an error per reconnect attempt; one line every 10 s is enough.
    const now = Date.now();
    if (now - lastLogged > 10000) {
      lastLogged = now;
      logger.warn({ err: err.message, purpose }, 'redis connection error');
    }
  });
  return client;
}

/** Resolves once the client is ready, or rejects after `timeoutMs`. */
export function waitForRedis(client: Redis, timeoutMs = 10000): Promise<void> {
  if (client.status === 'ready') return Promise.resolve();
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      cleanup();
      reject(new Error(`redis not ready after ${timeoutMs} ms`));
    }, timeoutMs);
    const onReady = (): void => {
      cleanup();
      resolve();
    };
    const cleanup = (): void => {
      clearTimeout(timer);
      client.off('ready', onReady);
    };
    client.on('ready', onReady);
  });
}

import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { Redis } from 'ioredis';
import type { Config } from '../config/index.js';
import type { Logger } from '../logger.js';
import { LOCAL_REDIS_URL } from '../redis.js';

/** The Redis the all-in-one process will use, and how to stop it if we started it. */
export interface LocalRedis {
  url: string;
  source: 'configured' | 'local' | 'started';
  stop(): Promise<void>;
}

async function answers(url: string): Promise<boolean> {
  const client = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
  client.on('error', () => undefined);
  try {
    await client.connect();
    return (await client.ping()) === 'PONG';
  } catch {
    return false;
  } finally {
    client.disconnect();
  }
}

function findOnPath(binary: string): string | null {
  for (const dir of (process.env.PATH ?? '').split(path.delimiter)) {
    const candidate = path.join(dir, binary);
    try {
      fs.accessSync(candidate, fs.constants.X_OK);
      return candidate;
    } catch {
      // not here
    }
  }
  return null;
}

/** Thrown when no Redis answers and none can be started; its message is the one-line instruction. */
export class RedisUnavailableError extends Error {}

/**
 * Picks Redis for `npm start`: the configured URL; else 127.0.0.1:6379 when it answers; else the
 * system `redis-server` started as a child process with its append-only file under data_dir/redis
 * (queued jobs survive a restart, as ARCHITECTURE.md's durability invariant needs).
 */
export async function resolveLocalRedis(config: Config, logger: Logger): Promise<LocalRedis> {
  const noop = (): Promise<void> => Promise.resolve();
  if (config.redis.url) return { url: config.redis.url, source: 'configured', stop: noop };
  if (await answers(LOCAL_REDIS_URL)) return { url: LOCAL_REDIS_URL, source: 'local', stop: noop };

  const binary = findOnPath('redis-server');
  if (!binary) {
    throw new RedisUnavailableError(
      'no Redis answers on 127.0.0.1:6379 and redis-server is not installed: install it (e.g. `apt-get install redis-server`) or set redis.url',
    );
  }
  const dir = path.join(config.data_dir, 'redis');
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  const child: ChildProcess = spawn(
    binary,
    [
      '--bind',
      '127.0.0.1',
      '--port',
      '6379',
      '--dir',
      dir,
      '--appendonly',
      'yes',
      '--save',
      '',
      '--maxmemory-policy',
      'noeviction',
    ],
    { stdio: 'ignore' },
  );
  logger.info({ binary, dir }, 'started redis-server');
  for (let i = 0; i < 50; i++) {
    if (await answers(LOCAL_REDIS_URL)) {
      return {
        url: LOCAL_REDIS_URL,
        source: 'started',
        stop: async () => {
          child.kill('SIGTERM');
          await new Promise((resolve) => child.once('exit', resolve));
        },
      };
    }
    if (child.exitCode !== null) break;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  child.kill('SIGKILL');
  throw new RedisUnavailableError(`redis-server (${binary}) did not start on 127.0.0.1:6379`);
}

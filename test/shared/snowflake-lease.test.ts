import crypto from 'node:crypto';
import net from 'node:net';
import { Redis } from 'ioredis';
import { ApiError } from '../../shared/errors.js';
import { createLogger } from '../../shared/logger.js';
import { waitForRedis } from '../../shared/redis.js';
import { decodeSnowflake } from '../../shared/snowflake.js';
import { SnowflakeLease, type SnowflakeLeaseOptions } from '../../shared/snowflake-lease.js';
import { randomIp } from '../helpers/accounts.js';
import { configEnv, testConfig } from '../helpers/config.js';
import { TEST_REDIS_URL } from '../helpers/env.js';
import { spawnEntry, type RoleProcess } from '../helpers/processes.js';

const logger = createLogger(testConfig(), 'test');
const prefix = `test-lease-${crypto.randomBytes(4).toString('hex')}`;
let redis: Redis;
const leases: SnowflakeLease[] = [];

function lease(opts: Partial<SnowflakeLeaseOptions> = {}, client = redis): SnowflakeLease {
  const l = new SnowflakeLease(client, prefix, {
    datacenterId: null,
    workerId: null,
    ttlMs: 30000,
    logger,
    ...opts,
  });
  leases.push(l);
  return l;
}

const key = (dc: number, worker: number) => `${prefix}:snowflake:lease:${dc}:${worker}`;

/** Another process's leases on every worker of `dc` but `except`. */
async function takeAllBut(dc: number, except: number): Promise<void> {
  for (let w = 0; w < 32; w += 1) if (w !== except) await redis.set(key(dc, w), 'someone-else', 'PX', 30000);
}

/** Minting refused, with the seconds until the lease's next attempt (a third of its TTL) to retry after. */
function expectUnavailable(l: SnowflakeLease, retryAfter = 10): void {
  let thrown: unknown = null;
  try {
    l.next();
  } catch (err) {
    thrown = err;
  }
  expect(thrown).toBeInstanceOf(ApiError);
  expect(thrown).toMatchObject({ status: 503, code: 'ids_unavailable', extra: { retry_after: retryAfter } });
}

beforeAll(() => {
  redis = new Redis(TEST_REDIS_URL);
});

afterAll(async () => {
  for (const l of leases) await l.release().catch(() => undefined);
  redis.disconnect();
});

describe('SnowflakeLease', () => {
  it('two leases on one Redis hold different pairs and mint under them', async () => {
    const a = lease({ datacenterId: 1 });
    const b = lease({ datacenterId: 1 });
    expect(await a.acquire()).toBe(true);
    expect(await b.acquire()).toBe(true);
    expect(a.slot?.workerId).not.toBe(b.slot?.workerId);
    const idA = decodeSnowflake(a.next());
    expect([idA.datacenterId, idA.workerId]).toEqual([1, a.slot?.workerId]);
    expect(await redis.pttl(key(1, a.slot?.workerId ?? -1))).toBeGreaterThan(0);
  });

  it('skips pairs another process holds', async () => {
    await takeAllBut(2, 17);
    const l = lease({ datacenterId: 2 });
    expect(await l.acquire()).toBe(true);
    expect(l.slot).toEqual({ datacenterId: 2, workerId: 17 });
    expect(decodeSnowflake(l.next()).workerId).toBe(17);
    const none = lease({ datacenterId: 2 });
    expect(await none.acquire()).toBe(false);
    expectUnavailable(none);
  });

  it('stops minting when a renewal finds its pair taken, and leases a free one when there is one', async () => {
    const l = lease({ datacenterId: 3 });
    expect(await l.acquire()).toBe(true);
    const mine = l.slot?.workerId ?? -1;
    const spare = (mine + 5) % 32;
    await takeAllBut(3, mine);
    await redis.del(key(3, spare));
    await redis.set(key(3, spare), 'someone-else', 'PX', 30000);
    // Its lease expired unnoticed and another process took the pair.
    await redis.set(key(3, mine), 'the-new-owner', 'PX', 30000);
    await l.renew();
    expectUnavailable(l);
    expect(await redis.get(key(3, mine))).toBe('the-new-owner');

    await redis.del(key(3, spare));
    await l.renew();
    expect(l.slot).toEqual({ datacenterId: 3, workerId: spare });
    expect(decodeSnowflake(l.next()).workerId).toBe(spare);
  });

  it('stops minting once a lease it could not renew may have expired', async () => {
    let now = Date.now();
    const own = new Redis(TEST_REDIS_URL, { enableOfflineQueue: false, maxRetriesPerRequest: 1 });
    await waitForRedis(own);
    const l = lease({ datacenterId: 4, ttlMs: 10000, clock: () => now }, own);
    expect(await l.acquire()).toBe(true);
    own.disconnect();
    now += 5000;
    await expect(l.renew()).rejects.toThrow();
    expect(() => l.next()).not.toThrow();
    now += 5000;
    expectUnavailable(l, 4);
  });

  it('release frees the pair at once', async () => {
    const l = lease({ datacenterId: 5, workerId: 6 });
    expect(await l.acquire()).toBe(true);
    await l.release();
    expect(await redis.exists(key(5, 6))).toBe(0);
    expectUnavailable(l);
    const next = lease({ datacenterId: 5, workerId: 6 });
    expect(await next.acquire()).toBe(true);
  });
});

async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as net.AddressInfo).port;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

describe('API processes left at the default', () => {
  const procs: RoleProcess[] = [];
  afterAll(async () => {
    await Promise.all(procs.map((p) => p.kill()));
  });

  it('mint under different pairs (leased), and give them back on exit', async () => {
    const config = testConfig();
    const origins: string[] = [];
    for (let i = 0; i < 2; i += 1) {
      const port = await freePort();
      const proc = spawnEntry('api/main.ts', {
        ...configEnv(config),
        PLEXICHAT_SERVER__PORT: String(port),
        PLEXICHAT_SERVER__TRUSTED_PROXIES: '127.0.0.1',
        PLEXICHAT_LOG__LEVEL: 'info',
      });
      procs.push(proc);
      await proc.waitFor(/snowflake worker id leased/);
      origins.push(`http://127.0.0.1:${port}`);
    }
    const pairs: string[] = [];
    for (const origin of origins) {
      let res: Response | null = null;
      for (let attempt = 0; attempt < 50 && !res; attempt += 1) {
        res = await fetch(`${origin}/api/v1/auth/register`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'x-forwarded-for': randomIp() },
          body: JSON.stringify({
            username: `u_${crypto.randomBytes(6).toString('hex')}`,
            password: 'a long password',
          }),
        }).catch(() => null);
        if (!res) await new Promise((resolve) => setTimeout(resolve, 200));
      }
      expect(res?.status).toBe(201);
      const { user } = (await res?.json()) as { user: { id: string } };
      const { datacenterId, workerId } = decodeSnowflake(user.id);
      pairs.push(`${datacenterId}:${workerId}`);
    }
    expect(pairs[0]).not.toBe(pairs[1]);
    const held = await redis.keys(`${config.redis.key_prefix}:snowflake:lease:*`);
    expect(held.sort()).toEqual(pairs.map((p) => `${config.redis.key_prefix}:snowflake:lease:${p}`).sort());

    await Promise.all(procs.map((p) => p.kill('SIGTERM')));
    expect(await redis.keys(`${config.redis.key_prefix}:snowflake:lease:*`)).toEqual([]);
  }, 60000);
});

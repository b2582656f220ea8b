import { testConfig } from '../helpers/config.js';
import { startTestApp, type TestApp, useTestApp, useTestAppOnOwnPostgres } from '../helpers/app.js';
import { registerUser } from '../helpers/accounts.js';
import { startPrivateRedis, until, type PrivateRedis } from '../helpers/services.js';
import { Redis } from 'ioredis';
import { QUEUE_NAMES } from '../../shared/queues/index.js';
import { HEALTH_REUSE_MS } from '../../api/routes/health/checks.js';

async function getJson(url: string): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await fetch(url);
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

/**
 * GET /health after a dependency went away: a passing result may be answered again for
 * HEALTH_REUSE_MS (a failing one never is), so it is asked until it stops answering 200.
 */
async function healthOnceFailing(api: string): Promise<{ status: number; body: Record<string, unknown> }> {
  let health = await getJson(`${api}/health`);
  await until(
    async () => health.status !== 200 || (health = await getJson(`${api}/health`)).status !== 200,
    'health to stop answering 200',
    HEALTH_REUSE_MS + 3000,
  );
  return health;
}

describe('GET /api/v1/health', () => {
  let app: TestApp;
  afterAll(() => app.close());

  it('answers 200 with every check ok against the real services', async () => {
    app = await startTestApp();
    const { status, body } = await getJson(`${app.api}/health`);
    expect(status).toBe(200);
    expect(body.status).toBe('ok');
    expect(body.version).toMatch(/^[abcr]\.\d+\.\d+-\d+$/);
    expect(body.checks).toEqual({ database: 'ok', redis: 'ok', queues: 'ok', storage: 'ok' });
    const details = body.details as Record<string, { status: string; details?: Record<string, unknown> }>;
    expect(Object.keys(details).sort()).toEqual(['database', 'queues', 'redis', 'storage']);
    expect(details.database).toEqual({ status: 'ok', latency_ms: expect.any(Number) });
    expect(details.queues?.details?.messages).toMatchObject({ workers: 1, failed: 0 });
  });

  it('GET /ready and /version answer', async () => {
    expect(await getJson(`${app.api}/ready`)).toEqual({ status: 200, body: { status: 'ready' } });
    const version = await getJson(`${app.api}/version`);
    expect(version.status).toBe(200);
    expect(version.body).toEqual({
      version: expect.stringMatching(/^[abcr]\.\d+\.\d+-\d+$/) as string,
      api: 1,
    });
  });
});

describe('health when Redis goes away', () => {
  let redis: PrivateRedis;

  beforeAll(async () => {
    redis = await startPrivateRedis();
  });
  const app = useTestApp(() => ({ config: testConfig({ redis: { url: redis.url } }) }));
  afterAll(async () => {
    await redis.destroy();
  });

  it('a flood of health requests shares one run: Redis is asked for its clients once per queue', async () => {
    const admin = new Redis(redis.url);
    try {
      const clientLists = async () =>
        Number(/cmdstat_client\|list:calls=(\d+)/.exec(await admin.info('commandstats'))?.[1] ?? 0);
      // Nothing reused from an earlier request.
      await new Promise((r) => setTimeout(r, HEALTH_REUSE_MS + 100));
      const before = await clientLists();
      const answers = await Promise.all(Array.from({ length: 20 }, () => getJson(`${app.api}/health`)));
      expect(answers.map((a) => a.status)).toEqual(Array<number>(20).fill(200));
      // BullMQ counts a queue's workers with CLIENT LIST, which scans every connection to Redis.
      expect((await clientLists()) - before).toBe(QUEUE_NAMES.length);
      // One run answered them all: the same measurements in every answer.
      expect(new Set(answers.map((a) => JSON.stringify(a.body.details))).size).toBe(1);
    } finally {
      admin.disconnect();
    }
  });

  it('answers 503 naming redis (and the queues on it), then recovers when Redis is back', async () => {
    expect((await getJson(`${app.api}/health`)).status).toBe(200);
    // No passing result left to reuse: the first request after the kill asks the dependencies.
    await new Promise((r) => setTimeout(r, HEALTH_REUSE_MS + 100));

    await redis.stop('SIGKILL');
    const down = await healthOnceFailing(app.api);
    expect(down.status).toBe(503);
    expect(down.body.code).toBe('service_unavailable');
    expect(down.body.message).toMatch(/redis/);
    expect(down.body.checks).toEqual({ database: 'ok', redis: 'error', queues: 'error', storage: 'ok' });
    expect(down.body.failing).toEqual(['redis', 'queues']);
    expect((down.body.details as Record<string, { error?: string }>).redis?.error).toBeTruthy();
    expect((await getJson(`${app.api}/ready`)).status).toBe(503);
    // Request-path queue connections fail fast instead of queueing commands in memory.
    const started = Date.now();
    await expect(
      app.rt.queues.messages.add('create', {
        kind: 'create',
        message: { id: '1', channel_id: '1', author_id: '1', content: 'x', nonce: null },
      }),
    ).rejects.toThrow();
    expect(Date.now() - started).toBeLessThan(5000);

    await redis.start();
    let recovered = 0;
    for (let i = 0; i < 50 && recovered !== 200; i++) {
      await new Promise((r) => setTimeout(r, 200));
      recovered = (await getJson(`${app.api}/health`)).status;
    }
    expect(recovered).toBe(200);
  });
});

describe('when Postgres goes away', () => {
  const { app, postgres } = useTestAppOnOwnPostgres();

  it('answers 503 with Retry-After and health names the database; recovers by itself when it is back', async () => {
    const user = await registerUser(app);
    // A route that reads Postgres (the token check itself is served from its copy in Redis).
    const me = () => fetch(`${app.api}/users/@me/sessions`, { headers: user.headers });
    expect((await me()).status).toBe(200);

    await postgres.stop();
    const down = await me();
    expect(down.status).toBe(503);
    expect(down.headers.get('retry-after')).toBe('5');
    expect(await down.json()).toEqual({
      code: 'service_unavailable',
      message: expect.stringMatching(/database/) as string,
      retry_after: 5,
    });
    const health = await healthOnceFailing(app.api);
    expect(health.status).toBe(503);
    expect(health.body.message).toMatch(/database/);
    expect((health.body.checks as Record<string, string>).database).toBe('error');

    await postgres.start();
    await until(async () => (await me()).status === 200, 'the API after Postgres came back');
    expect((await getJson(`${app.api}/health`)).status).toBe(200);
  }, 60000);
});

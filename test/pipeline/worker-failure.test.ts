import { QueryTypes, type Transaction } from 'sequelize';
import { PlexichatError, RestClient } from '../../client/src/index.js';
import { api, registerUser, type TestUser } from '../helpers/accounts.js';
import { startTestApp, type TestApp } from '../helpers/app.js';
import { configEnv, testConfig } from '../helpers/config.js';
import { connectGateway, type GatewayClient } from '../helpers/gateway-client.js';
import { spawnEntry, type RoleProcess } from '../helpers/processes.js';
import { startWorkers, type WorkerPool } from '../../workers/runner.js';
import { makeServer } from '../api/servers/helpers.js';

// The API and gateway run here without workers; workers run where each test says.
let app: TestApp;
const clients: GatewayClient[] = [];
const processes: RoleProcess[] = [];
let pool: WorkerPool | null = null;

beforeAll(async () => {
  app = await startTestApp({
    workers: false,
    // A send waits longer (send_wait_ms) than the other message commands (wait_timeout_ms).
    config: testConfig({
      queues: { lock_ms: 1000, stalled_interval_ms: 500, wait_timeout_ms: 500, send_wait_ms: 2500 },
    }),
  });
}, 60000);

afterAll(async () => {
  for (const c of clients) c.close();
  for (const p of processes) await p.kill('SIGKILL');
  await pool?.close();
  await app?.close();
});

function spawnWorkers(workerId: number): RoleProcess {
  const p = spawnEntry('workers/main.ts', {
    ...configEnv(app.config),
    PLEXICHAT_LOG__LEVEL: 'info',
    PLEXICHAT_SNOWFLAKE__WORKER_ID: String(workerId),
  });
  processes.push(p);
  return p;
}

async function setup(): Promise<{ owner: TestUser; channelId: string; watching: GatewayClient }> {
  const owner = await registerUser(app);
  const { generalId } = await makeServer(app, owner);
  const watching = await connectGateway(app.origin, { token: owner.token });
  clients.push(watching);
  return { owner, channelId: generalId, watching };
}

const send = (owner: TestUser, channelId: string, body: Record<string, unknown>) =>
  api(app, 'POST', `/channels/${channelId}/messages`, { token: owner.token, body });

const stored = (channelId: string) => app.rt.models.Message.count({ where: { channel_id: channelId } });

async function until(check: () => Promise<boolean>, timeoutMs = 15000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe('when workers are slow or die', () => {
  it('a send waits past wait_timeout_ms for the stored message: a worker that comes meanwhile makes it a 200', async () => {
    const { owner, channelId } = await setup();
    const answer = send(owner, channelId, { content: 'late worker', nonce: 'late-1' });
    await new Promise((resolve) => setTimeout(resolve, 1000));
    pool = startWorkers(app.rt);
    const res = await answer;
    expect([res.status, res.body.content, res.body.nonce]).toEqual([200, 'late worker', 'late-1']);
    expect(await stored(channelId)).toBe(1);
    await pool.close();
    pool = null;
  });

  it('past send_wait_ms a send is 503 send_pending; a retry with its nonce answers the stored message, stored once', async () => {
    const { owner, channelId, watching } = await setup();
    const started = Date.now();
    const pending = await send(owner, channelId, { content: 'patience', nonce: 'slow-1' });
    expect(Date.now() - started).toBeGreaterThanOrEqual(2400);
    expect([pending.status, pending.headers.get('retry-after')]).toEqual([503, '1']);
    expect(pending.body).toEqual({
      code: 'send_pending',
      message: expect.stringContaining('retry with the same nonce'),
      retry_after: 1,
      id: expect.any(String),
      channel_id: channelId,
      nonce: 'slow-1',
    });
    // Each send_pending answer renews the nonce, so a client that keeps retrying never outlives it.
    const nonceKey = `${app.config.redis.key_prefix}:nonce:${owner.id}:${channelId}:slow-1`;
    await app.rt.redis.expire(nonceKey, 10);
    const again = await send(owner, channelId, { content: 'patience', nonce: 'slow-1' });
    expect([again.status, again.body.code, again.body.id]).toEqual([503, 'send_pending', pending.body.id]);
    expect(await app.rt.redis.ttl(nonceKey)).toBeGreaterThan(290);
    // A webhook's ?wait=true waits and answers the same way (it has no nonce: the message says so).
    const hook = await api(app, 'POST', `/channels/${channelId}/webhooks`, {
      token: owner.token,
      body: { name: 'hook' },
    });
    const executed = await api(app, 'POST', `/webhooks/${hook.body.id}/${hook.body.token}?wait=true`, {
      body: { content: 'from the hook' },
    });
    expect([executed.status, executed.body.code, executed.body.nonce]).toEqual([503, 'send_pending', null]);
    expect(executed.body.message).toMatch(/second message/);

    pool = startWorkers(app.rt);
    const frames = await watching.waitForFrames(2, (f) => f.t === 'MESSAGE_CREATE');
    expect(frames.map((f) => f.d)).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ id: pending.body.id, content: 'patience' }),
        expect.objectContaining({ id: executed.body.id, content: 'from the hook' }),
      ]),
    );
    const retried = await send(owner, channelId, { content: 'patience', nonce: 'slow-1' });
    expect([retried.status, retried.body.id, retried.body.content]).toEqual([
      200,
      pending.body.id,
      'patience',
    ]);
    expect(await stored(channelId)).toBe(2);
    expect(watching.frames.filter((f) => f.t === 'MESSAGE_CREATE')).toHaveLength(2);
    await pool.close();
    pool = null;
  }, 30000);

  it('the SDK sends again with the nonce after send_pending and gets the message; without a nonce it throws', async () => {
    const { owner, channelId } = await setup();
    const rest = new RestClient({ baseUrl: app.origin, token: owner.token });
    const request = (body: { content: string; nonce?: string }) =>
      rest.request('POST /channels/{channel_id}/messages', { params: { channel_id: channelId }, body });
    const withoutNonce = await request({ content: 'once only' }).catch((err: unknown) => err);
    expect(withoutNonce).toBeInstanceOf(PlexichatError);
    expect((withoutNonce as PlexichatError).code).toBe('send_pending');
    // The first attempt gives up after send_wait_ms (2.5 s); the workers come while the second waits.
    const answer = request({ content: 'persistent', nonce: 'sdk-1' });
    await new Promise((resolve) => setTimeout(resolve, 3000));
    pool = startWorkers(app.rt);
    expect(await answer).toMatchObject({ content: 'persistent', nonce: 'sdk-1', channel_id: channelId });
    await until(async () => (await stored(channelId)) === 2);
    expect(await stored(channelId)).toBe(2);
    await pool.close();
    pool = null;
  }, 30000);

  it('a worker killed in the middle of storing a message: another finishes it, once', async () => {
    const { owner, channelId, watching } = await setup();
    const doomed = spawnWorkers(30);
    await doomed.waitFor(/workers started/);

    // Hold the channel row so the worker's INSERT (its foreign-key check) waits mid-job.
    const tx: Transaction = await app.rt.sequelize.transaction();
    await app.rt.sequelize.query('SELECT id FROM channels WHERE id = $1 FOR UPDATE', {
      bind: [channelId],
      transaction: tx,
    });
    const answer = send(owner, channelId, { content: 'survivor', nonce: 'kill-1' });
    await until(async () => {
      const rows = await app.rt.sequelize.query<{ n: string }>(
        `SELECT count(*) AS n FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND query LIKE '%INSERT INTO messages%'`,
        { type: QueryTypes.SELECT },
      );
      return Number(rows[0]?.n) > 0;
    });
    await doomed.kill('SIGKILL');
    await tx.commit();

    const res = await answer;
    // Stored before the worker died, or still queued after send_wait_ms: the id is known either way.
    expect([res.status, res.body.code]).toEqual(
      res.status === 200 ? [200, undefined] : [503, 'send_pending'],
    );
    const rescuer = spawnWorkers(29);
    await rescuer.waitFor(/workers started/);
    const [frame] = await watching.waitForFrames(1, (f) => f.t === 'MESSAGE_CREATE', 20000);
    expect(frame?.d).toMatchObject({ id: res.body.id, content: 'survivor' });
    expect(await stored(channelId)).toBe(1);
    // A beat later: still one row, still one event.
    await new Promise((resolve) => setTimeout(resolve, 1500));
    expect(await stored(channelId)).toBe(1);
    expect(watching.frames.filter((f) => f.t === 'MESSAGE_CREATE')).toHaveLength(1);
  }, 60000);
});

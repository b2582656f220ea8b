import { QueryTypes, type Transaction } from 'sequelize';
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
    config: testConfig({ queues: { lock_ms: 1000, stalled_interval_ms: 500, wait_timeout_ms: 1500 } }),
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
  it('the API answers 202 within the bounded wait; the message lands exactly once when a worker comes', async () => {
    const { owner, channelId, watching } = await setup();
    const pending = await send(owner, channelId, { content: 'patience', nonce: 'slow-1' });
    expect(pending.status).toBe(202);
    expect(pending.body).toMatchObject({ channel_id: channelId, nonce: 'slow-1', pending: true });
    const again = await send(owner, channelId, { content: 'patience', nonce: 'slow-1' });
    expect([again.status, again.body.id]).toEqual([202, pending.body.id]);

    pool = startWorkers(app.rt);
    const [frame] = await watching.waitForFrames(1, (f) => f.t === 'MESSAGE_CREATE');
    expect(frame?.d).toMatchObject({ id: pending.body.id, content: 'patience' });
    const retried = await send(owner, channelId, { content: 'patience', nonce: 'slow-1' });
    expect([retried.status, retried.body.id, retried.body.content]).toEqual([
      200,
      pending.body.id,
      'patience',
    ]);
    expect(await stored(channelId)).toBe(1);
    await pool.close();
    pool = null;
  });

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
    expect([200, 202]).toContain(res.status);
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

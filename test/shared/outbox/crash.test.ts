import crypto from 'node:crypto';
import { QueryTypes } from 'sequelize';
import { messageJobId } from '../../../shared/queues/index.js';
import { useTestApp } from '../../helpers/app.js';
import { until } from '../../helpers/services.js';
import { configEnv, testConfig } from '../../helpers/config.js';
import { startLocalServer, type LocalServer } from '../../helpers/http-server.js';
import { spawnEntry, type RoleProcess } from '../../helpers/processes.js';
import { as, useGateways, makeWorld } from '../../api/messages/pipeline-helpers.js';

// A workers process dies (SIGKILL, from the test fault hook) right after committing a message and
// its outbox row, before relaying anything. Another workers process relays the row: the connected
// client gets MESSAGE_CREATE exactly once, the event webhook exactly one delivery. The API and the
// gateway run in this process, without workers of their own.

let receiver: LocalServer;
const bodies: { path: string; body: string }[] = [];
const processes: RoleProcess[] = [];

const app = useTestApp(
  {
    workers: false,
    config: testConfig({
      outbound: { allow_private: ['127.0.0.0/8'] },
      // The killed process's job is taken over quickly (it causes nothing twice: see below).
      queues: { wait_timeout_ms: 500, send_wait_ms: 500, lock_ms: 1000, stalled_interval_ms: 500 },
    }),
  },
  60000,
);
const gw = useGateways(app);
beforeAll(async () => {
  receiver = await startLocalServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      bodies.push({ path: req.url ?? '', body: Buffer.concat(chunks).toString('utf8') });
      res.writeHead(200).end();
    });
  });
}, 60000);

afterAll(async () => {
  await Promise.all(processes.map((p) => p.kill('SIGKILL')));
  await receiver.close();
});

/** A workers process of its own on this test's Postgres, Redis and key prefix. */
async function workers(env: NodeJS.ProcessEnv = {}): Promise<RoleProcess> {
  const proc = spawnEntry('workers/main.ts', {
    ...configEnv(app.config),
    PLEXICHAT_LOG__LEVEL: 'info',
    PLEXICHAT_OUTBOUND__ALLOW_PRIVATE: '127.0.0.0/8',
    ...env,
  });
  processes.push(proc);
  await proc.waitFor(/workers started/);
  return proc;
}

async function outboxRows(): Promise<number> {
  const [row] = await app.rt.sequelize.query<{ n: string }>(
    'SELECT count(*) AS n FROM outbox WHERE scope = $1',
    {
      bind: [app.config.redis.key_prefix],
      type: QueryTypes.SELECT,
    },
  );
  return Number(row?.n);
}

/** The message ids of the deliveries the receiver got at `path`. */
const delivered = (path: string) =>
  bodies.filter((b) => b.path === path).map((b) => (JSON.parse(b.body) as { data: { id: string } }).data.id);

describe('a process killed between commit and relay', () => {
  it('loses no event: another process relays it, once to a socket and once to a webhook', async () => {
    const w = await makeWorld(app);
    const path = `/hook/${crypto.randomBytes(6).toString('hex')}`;
    const hook = await as(app, w.owner, 'POST', `/servers/${w.serverId}/event-webhooks`, {
      url: `${receiver.origin}${path}`,
      events: ['MESSAGE_CREATE'],
    });
    expect(hook.status).toBe(201);
    const client = await gw.connect(w.owner);
    const creates = (id: string) =>
      client.frames.filter((f) => f.t === 'MESSAGE_CREATE' && (f.d as { id: string }).id === id);

    const doomed = await workers({ PLEXICHAT_TEST_FAULT: 'outbox-after-commit' });
    const sent = await as(app, w.owner, 'POST', `/channels/${w.channelId}/messages`, { content: 'survives' });
    // The worker died before answering: the API says the message is on its way.
    expect([sent.status, sent.body.code]).toEqual([503, 'send_pending']);
    const id = sent.body.id as string;
    await doomed.exited;
    expect(doomed.child.signalCode).toBe('SIGKILL');
    // Committed, with its effects in the outbox, and not relayed.
    expect(await app.rt.models.Message.count({ where: { id } })).toBe(1);
    expect(await outboxRows()).toBe(1);
    expect(creates(id)).toHaveLength(0);

    await workers();
    await client.waitForFrames(
      1,
      (f) => f.t === 'MESSAGE_CREATE' && (f.d as { id: string }).id === id,
      30000,
    );
    await until(() => delivered(path).includes(id), 'the webhook delivery');

    // Everything that could repeat it has run: the row is gone, the dead worker's job ran again
    // elsewhere (it found the message stored and caused nothing), and a later message came through.
    await until(async () => (await outboxRows()) === 0, 'the outbox to empty');
    await until(async () => {
      const job = await app.rt.queues.messages.getJob(messageJobId('create', id));
      return (await job?.getState()) === 'completed';
    }, 'the retried job to complete');
    const later = await as(app, w.owner, 'POST', `/channels/${w.channelId}/messages`, { content: 'later' });
    expect(later.status).toBe(200);
    await client.waitForFrames(
      1,
      (f) => f.t === 'MESSAGE_CREATE' && (f.d as { id: string }).id === later.body.id,
    );
    await until(() => delivered(path).includes(later.body.id as string), 'the later delivery');

    expect(creates(id)).toHaveLength(1);
    expect(creates(id)[0]?.d).toMatchObject({ id, content: 'survives', channel_id: w.channelId });
    expect(delivered(path)).toEqual([id, later.body.id]);
  });
});

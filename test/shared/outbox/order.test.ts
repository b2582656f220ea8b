import { Job } from 'bullmq';
import type { DispatchFrame } from '../../../shared/events/index.js';
import type { MessageObject } from '../../../shared/presenters/types.js';
import { messageJobId, type CreateMessageJob } from '../../../shared/queues/index.js';
import { api } from '../../helpers/accounts.js';
import { useTestApp } from '../../helpers/app.js';
import { configEnv } from '../../helpers/config.js';
import { spawnEntry, type RoleProcess } from '../../helpers/processes.js';
import { until } from '../../helpers/services.js';
import { useGateways, makeWorld, member, send } from '../../api/messages/pipeline-helpers.js';

// "Messages in each channel delivered in id order to every client" (issue 16), with the processes
// `npm start` and production run: two API processes mint requests and two workers processes store
// them (this one and a spawned one, each with concurrency), clients on this process's gateway.

let otherApi: { api: string };
const processes: RoleProcess[] = [];

const app = useTestApp({}, 120_000);
const gw = useGateways(app);
beforeAll(async () => {
  const env = { ...configEnv(app.config), PLEXICHAT_LOG__LEVEL: 'info' };
  const apiProc = spawnEntry('api/main.ts', {
    ...env,
    PLEXICHAT_SERVER__PORT: '0',
    PLEXICHAT_SERVER__HOST: '127.0.0.1',
  });
  const workersProc = spawnEntry('workers/main.ts', env);
  processes.push(apiProc, workersProc);
  const listening = await apiProc.waitFor(/"port":(\d+)[^\n]*"api listening"/, 90_000);
  otherApi = { api: `http://127.0.0.1:${listening[1] as string}/api/v1` };
  await workersProc.waitFor(/workers started/, 90_000);
}, 120_000);

afterAll(async () => {
  await Promise.all(processes.map((p) => p.kill('SIGTERM')));
});

const createsIn = (frames: DispatchFrame[], channelId: string): MessageObject[] =>
  frames
    .filter((f) => f.t === 'MESSAGE_CREATE' && (f.d as MessageObject).channel_id === channelId)
    .map((f) => f.d as MessageObject);

/** Whether `ids` (snowflakes) are strictly increasing. */
const increasing = (ids: string[]): boolean =>
  ids.every((id, i) => i === 0 || BigInt(ids[i - 1]!) < BigInt(id));

describe('per-channel order', () => {
  it('delivers messages sent at once through two API processes in id order to every client', async () => {
    const w = await makeWorld(app);
    const other = await member(app, w.serverId);
    const clients = [await gw.connect(w.owner), await gw.connect(other), await gw.connect(other)];
    const total = 120;
    const answered: { status: number; body: MessageObject }[] = [];
    let next = 0;
    // 16 in flight, alternating between the two API processes and the two authors.
    await Promise.all(
      Array.from({ length: 16 }, async () => {
        while (next < total) {
          const i = next++;
          const who = i % 2 === 0 ? w.owner : other;
          const res = await api(i % 4 < 2 ? app : otherApi, 'POST', `/channels/${w.channelId}/messages`, {
            token: who.token,
            body: { content: `m${i}`, nonce: `n${i}` },
          });
          answered.push({ status: res.status, body: res.body as MessageObject });
        }
      }),
    );
    expect(answered.every((a) => a.status === 200)).toBe(true);

    for (const client of clients) {
      await client.waitForFrames(
        total,
        (f) => f.t === 'MESSAGE_CREATE' && (f.d as MessageObject).channel_id === w.channelId,
        60_000,
      );
    }
    const stored = (
      await app.rt.models.Message.findAll({ where: { channel_id: w.channelId }, order: [['id', 'ASC']] })
    ).map((m) => m.id);
    expect(stored).toHaveLength(total);
    for (const client of clients) {
      const seen = createsIn(client.frames, w.channelId).map((m) => m.id);
      // Every message once, in id order: the order history shows.
      expect(seen).toEqual(stored);
      expect(increasing(seen)).toBe(true);
    }
    // A stored answer is the message everyone received (same id, same content).
    const byNonce = new Map(createsIn(clients[0]!.frames, w.channelId).map((m) => [m.nonce, m]));
    for (const a of answered.filter((x) => x.status === 200))
      expect(byNonce.get(a.body.nonce)).toMatchObject({ id: a.body.id, content: a.body.content });
  }, 120_000);

  it('stores a create that reaches the queue after a newer message with an id after it', async () => {
    const w = await makeWorld(app);
    const client = await gw.connect(w.owner);
    // Minted first (as by an API process that was slow to queue it), queued after `newer` is stored.
    const lateId = app.rt.snowflake.next();
    const newer = await send(app, w.owner, w.channelId, 'newer');
    expect(BigInt(newer.id) > BigInt(lateId)).toBe(true);
    const job: CreateMessageJob = {
      kind: 'create',
      message: { id: lateId, channel_id: w.channelId, author_id: w.owner.id, content: 'late', nonce: null },
    };
    const queued = await app.rt.queues.messages.add('create', job, { jobId: messageJobId('create', lateId) });
    await until(async () => (await queued.getState()) === 'completed', 'the late create');
    const result = (await Job.fromId(app.rt.queues.messages, queued.id!))?.returnvalue as MessageObject;
    expect(result.content).toBe('late');
    expect(BigInt(result.id) > BigInt(newer.id)).toBe(true);

    await client.waitForFrames(2, (f) => f.t === 'MESSAGE_CREATE', 20_000);
    const seen = createsIn(client.frames, w.channelId);
    expect(seen.map((m) => m.content)).toEqual(['newer', 'late']);
    expect(seen.map((m) => m.id)).toEqual([newer.id, result.id]);
    const history = await api(app, 'GET', `/channels/${w.channelId}/messages`, { token: w.owner.token });
    expect((history.body as MessageObject[]).map((m) => m.id)).toEqual([result.id, newer.id]);
  }, 60_000);
});

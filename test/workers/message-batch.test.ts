import { Job } from 'bullmq';
import type { DispatchFrame } from '../../shared/events/index.js';
import type { MessageObject } from '../../shared/presenters/types.js';
import { messageJobId } from '../../shared/queues/index.js';
import { useTestApp } from '../helpers/app.js';
import { testConfig } from '../helpers/config.js';
import { until } from '../helpers/services.js';
import {
  addChannel,
  as,
  useGateways,
  makeWorld,
  member,
  send,
  type Person,
} from '../api/messages/pipeline-helpers.js';

// Message creates a workers process takes within its window are stored together (one statement
// per run of plain messages, shared/domain/messages/batch-create.ts). Through the API and the real
// workers: many concurrent sends in several channels, some with a mention (stored on their own,
// between the batches); every client gets each channel's messages once, in id order.

// A wide window, so concurrent sends surely share batches.
const app = useTestApp({ config: testConfig({ queues: { message_batch_window_ms: 20 } }) }, 60000);
const gw = useGateways(app);

const byId = (a: string, b: string) => (BigInt(a) < BigInt(b) ? -1 : 1);
const created = (frames: DispatchFrame[], channelId: string) =>
  frames
    .filter((f) => f.t === 'MESSAGE_CREATE' && (f.d as MessageObject).channel_id === channelId)
    .map((f) => (f.d as MessageObject).id);

it('delivers concurrent sends of several channels once each, in id order, and answers each with its stored message', async () => {
  const w = await makeWorld(app);
  const channels = [w.channelId, await addChannel(app, w, 'two'), await addChannel(app, w, 'three')];
  const senders: Person[] = [];
  for (let i = 0; i < 3; i++) senders.push(await member(app, w.serverId));
  const clients = await Promise.all([w.owner, ...senders].map((p) => gw.connect(p)));
  const sends = channels.flatMap((channelId, c) =>
    senders.flatMap((who, s) =>
      Array.from({ length: 8 }, (_, i) => ({
        channelId,
        who,
        // Every fourth mentions the owner: a message with more to store than its row.
        content: `${i % 4 === 3 ? `<@${w.owner.id}> ` : ''}m ${c}.${s}.${i}`,
      })),
    ),
  );
  const answers = await Promise.all(sends.map((m) => send(app, m.who, m.channelId, m.content)));

  for (const [i, answer] of answers.entries()) {
    expect(answer).toMatchObject({
      channel_id: sends[i]!.channelId,
      author_id: sends[i]!.who.id,
      content: sends[i]!.content,
    });
    const stored = await as(app, w.owner, 'GET', `/channels/${answer.channel_id}/messages/${answer.id}`);
    expect(stored.body).toEqual(answer);
  }
  // One more per channel, after all the others: what was to arrive before it has.
  const last = await Promise.all(channels.map((c) => send(app, w.owner, c, 'last')));
  await Promise.all(
    clients.map((client) =>
      client.waitForFrames(answers.length + last.length, (f) => f.t === 'MESSAGE_CREATE'),
    ),
  );
  for (const [c, channelId] of channels.entries()) {
    const sent = answers.filter((a) => a.channel_id === channelId).map((a) => a.id);
    const expected = [...sent.sort(byId), last[c]!.id];
    for (const client of clients) expect(created(client.frames, channelId)).toEqual(expected);
  }
}, 60000);

it('stores one message for one nonce sent twice at once', async () => {
  const w = await makeWorld(app);
  const body = { content: 'once', nonce: 'batch-nonce' };
  const path = `/channels/${w.channelId}/messages`;
  const [a, b] = await Promise.all([
    as(app, w.owner, 'POST', path, body),
    as(app, w.owner, 'POST', path, body),
  ]);
  // The second either waits for the first's message or, if that is not queued yet, is told to retry.
  const ok = [a, b].filter((r) => r.status === 200);
  expect(ok.length).toBeGreaterThan(0);
  for (const r of [a, b]) if (r.status !== 200) expect(r.body).toMatchObject({ code: 'nonce_in_use' });
  const id = (ok[0]!.body as MessageObject).id;
  for (const r of ok) expect((r.body as MessageObject).id).toBe(id);
  const again = await as(app, w.owner, 'POST', path, body);
  expect((again.body as MessageObject).id).toBe(id);
  const history = await as(app, w.owner, 'GET', `${path}?limit=50`);
  expect((history.body as MessageObject[]).filter((m) => m.content === 'once').map((m) => m.id)).toEqual([
    id,
  ]);
}, 30000);

it('stores the others of a batch when one of its messages breaks a constraint', async () => {
  const w = await makeWorld(app);
  const ids = Array.from({ length: 5 }, () => app.rt.snowflake.next());
  // The third names an author that does not exist (a foreign key the batch statement breaks).
  await Promise.all(
    ids.map((id, i) =>
      app.rt.queues.messages.add(
        'create',
        {
          kind: 'create',
          message: {
            id,
            channel_id: w.channelId,
            author_id: i === 2 ? app.rt.snowflake.next() : w.owner.id,
            content: `c${i}`,
            nonce: null,
          },
        },
        { jobId: messageJobId('create', id) },
      ),
    ),
  );
  const good = ids.filter((_, i) => i !== 2);
  await until(
    async () => (await app.rt.models.Message.count({ where: { id: good } })) === good.length,
    'the four good messages to be stored',
  );
  await until(
    async () => (await app.rt.queues.messages.getJobState(messageJobId('create', ids[2]!))) === 'failed',
    'the bad one to fail for good',
  );
  expect(await app.rt.models.Message.count({ where: { id: ids[2]! } })).toBe(0);
}, 30000);

it('answers and announces a plain message with its stored object, byte for byte, alone or in a batch', async () => {
  const w = await makeWorld(app);
  const client = await gw.connect(w.owner);
  // Every optional field a plain message may carry; no nonce at all (a system message's job).
  const jobs = Array.from({ length: 3 }, (_, i) => {
    const id = app.rt.snowflake.next();
    const message: Record<string, unknown> = {
      id,
      channel_id: w.channelId,
      author_id: w.owner.id,
      content: `see https://example.com/${i} **now**`,
      embed_links: true,
      embeds: [{ type: 'rich', title: `t${i}`, fields: [{ name: 'a', value: 'b' }] }],
      interaction: { id: app.rt.snowflake.next(), name: 'ping', user_id: w.owner.id },
    };
    return { id, data: { kind: 'create' as const, message } };
  });
  // One on its own, then two at once (stored in one statement).
  const run = async (batch: typeof jobs) => {
    const queued = await Promise.all(
      batch.map((j) =>
        app.rt.queues.messages.add('create', j.data as never, { jobId: messageJobId('create', j.id) }),
      ),
    );
    await until(
      async () => (await Promise.all(queued.map((q) => q.getState()))).every((s) => s === 'completed'),
      'the creates',
    );
    return Promise.all(
      queued.map(
        async (q) => (await Job.fromId(app.rt.queues.messages, q.id!))?.returnvalue as MessageObject,
      ),
    );
  };
  const answers = [...(await run(jobs.slice(0, 1))), ...(await run(jobs.slice(1)))];
  await client.waitForFrames(3, (f) => f.t === 'MESSAGE_CREATE');
  const frames = client.frames.filter((f) => f.t === 'MESSAGE_CREATE').map((f) => f.d as MessageObject);
  for (const answer of answers) {
    expect(answer.nonce).toBeNull();
    const frame = frames.find((f) => f.id === answer.id);
    expect(JSON.stringify(frame)).toBe(JSON.stringify(answer));
    const stored = await as(app, w.owner, 'GET', `/channels/${w.channelId}/messages/${answer.id}`);
    expect(JSON.stringify(stored.body)).toBe(JSON.stringify(answer));
  }
}, 30000);

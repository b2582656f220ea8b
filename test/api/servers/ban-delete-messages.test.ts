import type { ReadStateObject } from '../../../shared/presenters/read-state.js';
import { useTestApp } from '../../helpers/app.js';
import type { GatewayClient } from '../../helpers/gateway-client.js';
import { messageJobId } from '../../../shared/queues/index.js';
import { as, connect, framesOf, join, send, startThread, waitFor, world } from '../threads/helpers.js';

// A ban with delete_message_seconds runs the same delete as a moderator's (shared/domain/messages):
// with the workers running, the counters the deleted messages had raised come down and the
// channels' viewers are told.
const clients: GatewayClient[] = [];
const app = useTestApp();
afterAll(() => {
  for (const c of clients) c.close();
});

async function mentionCount(who: Parameters<typeof as>[1], channelId: string): Promise<number | undefined> {
  const res = await as(app, who, 'GET', '/users/@me/read-states');
  expect(res.status).toBe(200);
  return (res.body as ReadStateObject[]).find((s) => s.channel_id === channelId)?.mention_count;
}

async function threadMessageCount(who: Parameters<typeof as>[1], threadId: string): Promise<unknown> {
  const res = await as(app, who, 'GET', `/channels/${threadId}`);
  expect(res.status).toBe(200);
  return (res.body as { thread_metadata: { message_count: number } }).thread_metadata.message_count;
}

describe('a ban that deletes recent messages', () => {
  it('takes back their mentions and thread counts and announces the deletes per channel', async () => {
    const w = await world(app);
    const reader = await join(app, w);
    const victim = await join(app, w);
    const thread = await startThread(app, w.owner, w.channelId, 'spam target');

    const mentions = [];
    for (let i = 0; i < 3; i++) {
      mentions.push(await send(app, victim, w.channelId, `look <@${reader.id}> ${i}`));
    }
    const inThread = [await send(app, victim, thread.id, 'one'), await send(app, victim, thread.id, 'two')];
    const kept = await send(app, w.owner, thread.id, 'the owner stays');
    expect(await mentionCount(reader, w.channelId)).toBe(3);
    expect(await threadMessageCount(w.owner, thread.id)).toBe(3);

    const watcher = await connect(app, reader, clients);
    const res = await as(app, w.owner, 'PUT', `/servers/${w.serverId}/bans/${victim.id}`, {
      delete_message_seconds: 3600,
    });
    expect(res.status).toBe(204);

    expect(await mentionCount(reader, w.channelId)).toBe(0);
    expect(await threadMessageCount(w.owner, thread.id)).toBe(1);
    const history = await as(app, w.owner, 'GET', `/channels/${thread.id}/messages`);
    expect(history.body.map((m: { id: string }) => m.id)).toEqual([kept.id]);

    const inChannel = await waitFor(watcher, 'MESSAGE_DELETE_BULK', (d) => d.channel_id === w.channelId);
    expect(inChannel.ids).toEqual(mentions.map((m) => m.id));
    const inThreadEvent = await waitFor(watcher, 'MESSAGE_DELETE_BULK', (d) => d.channel_id === thread.id);
    expect(inThreadEvent.ids).toEqual(inThread.map((m) => m.id));
  });

  it("takes its channels' order: a message queued late is stored under its id above what is left, delivered in id order", async () => {
    const w = await world(app);
    const reader = await join(app, w);
    const victim = await join(app, w);
    const watcher = await connect(app, reader, clients);
    const kept = await send(app, w.owner, w.channelId, 'kept');
    // Minted now and queued after the ban, as by an API process that was slow to queue it: above
    // the channel's newest message once the ban deleted the ones after it.
    const lateId = app.rt.snowflake.next();
    const spam = [
      await send(app, victim, w.channelId, 'spam 1'),
      await send(app, victim, w.channelId, 'spam 2'),
    ];
    // At once: the workers process still holds the channel and knows its newest id, the last spam.
    const res = await as(app, w.owner, 'PUT', `/servers/${w.serverId}/bans/${victim.id}`, {
      delete_message_seconds: 3600,
    });
    expect(res.status).toBe(204);
    const late = { id: lateId, channel_id: w.channelId, author_id: w.owner.id, content: 'late', nonce: null };
    await app.rt.queues.messages.add(
      'create',
      { kind: 'create', message: late },
      { jobId: messageJobId('create', lateId) },
    );
    const after = await send(app, w.owner, w.channelId, 'after');

    // Stored under the id it was minted with: the ban's deletion did not leave the deleted newest
    // id as the figure new messages must be above (which would renumber it).
    const history = await as(app, w.owner, 'GET', `/channels/${w.channelId}/messages`);
    expect(history.body.map((m: { id: string; content: string }) => [m.id, m.content])).toEqual([
      [after.id, 'after'],
      [lateId, 'late'],
      [kept.id, 'kept'],
    ]);
    await waitFor(watcher, 'MESSAGE_CREATE', (d) => d.id === after.id);
    const created = framesOf(watcher, 'MESSAGE_CREATE', (d) => d.channel_id === w.channelId).map((d) => d.id);
    expect(created).toEqual([kept.id, ...spam.map((m) => m.id), lateId, after.id]);
    const bulk = framesOf(watcher, 'MESSAGE_DELETE_BULK', (d) => d.channel_id === w.channelId);
    expect(bulk.map((d) => d.ids)).toEqual([spam.map((m) => m.id)]);
    // The deletes came after the creates they delete.
    const order = watcher.frames
      .filter((f) => f.t === 'MESSAGE_CREATE' || f.t === 'MESSAGE_DELETE_BULK')
      .map((f) => (f.t === 'MESSAGE_CREATE' ? (f.d as { id: string }).id : 'bulk'));
    expect(order.indexOf('bulk')).toBeGreaterThan(order.indexOf(spam[1]!.id));
  });

  it('a ban without delete_message_seconds leaves their messages and the counts alone', async () => {
    const w = await world(app);
    const reader = await join(app, w);
    const victim = await join(app, w);
    const kept = await send(app, victim, w.channelId, `hi <@${reader.id}>`);
    const res = await as(app, w.owner, 'PUT', `/servers/${w.serverId}/bans/${victim.id}`, {});
    expect(res.status).toBe(204);
    expect(await mentionCount(reader, w.channelId)).toBe(1);
    const got = await as(app, w.owner, 'GET', `/channels/${w.channelId}/messages/${kept.id}`);
    expect(got.status).toBe(200);
  });
});

import type { ReadStateObject } from '../../../shared/presenters/read-state.js';
import { startTestApp, type TestApp } from '../../helpers/app.js';
import type { GatewayClient } from '../../helpers/gateway-client.js';
import { as, connect, join, send, startThread, waitFor, world } from '../threads/helpers.js';

// A ban with delete_message_seconds runs the same delete as a moderator's (shared/domain/messages):
// with the workers running, the counters the deleted messages had raised come down and the
// channels' viewers are told.
let app: TestApp;
const clients: GatewayClient[] = [];
beforeAll(async () => {
  app = await startTestApp();
});
afterAll(async () => {
  for (const c of clients) c.close();
  await app.close();
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

import { Permission } from '../../../shared/permissions/index.js';
import type { NotificationObject } from '../../../shared/presenters/read-state.js';
import { useTestApp } from '../../helpers/app.js';
import type { GatewayClient } from '../../helpers/gateway-client.js';
import type { Person } from '../servers/membership-helpers.js';
import {
  as,
  connect,
  framesOf,
  join,
  send,
  settle,
  startThread,
  waitFor,
  world,
} from '../threads/helpers.js';

const clients: GatewayClient[] = [];
const app = useTestApp();
afterAll(() => {
  for (const c of clients) c.close();
});

async function inbox(who: Person, query = ''): Promise<NotificationObject[]> {
  const res = await as(app, who, 'GET', `/users/@me/notifications${query}`);
  expect(res.status).toBe(200);
  return res.body as NotificationObject[];
}

describe('notifications', () => {
  it('a mention is stored and pushed to the mentioned user only, with a compact message', async () => {
    const w = await world(app);
    const mentioned = await join(app, w);
    const bystander = await join(app, w);
    const mentionedClient = await connect(app, mentioned, clients);
    const bystanderClient = await connect(app, bystander, clients);
    const long = `<@${mentioned.id}> ${'x'.repeat(300)}`;
    const message = await send(app, w.owner, w.channelId, long);

    const pushed = await waitFor(mentionedClient, 'NOTIFICATION_CREATE', (d) => d.message_id === message.id);
    expect(pushed).toMatchObject({
      type: 'mention',
      read: false,
      server_id: w.serverId,
      channel_id: w.channelId,
      message_id: message.id,
      author_id: w.owner.id,
      message: {
        id: message.id,
        channel_id: w.channelId,
        author: { id: w.owner.id, username: w.owner.username },
      },
    });
    expect([...(pushed.message?.content ?? '')]).toHaveLength(200);
    expect(long.startsWith((pushed.message?.content ?? '').slice(0, -1))).toBe(true);
    expect(await inbox(mentioned)).toEqual([pushed]);

    await settle(app, bystanderClient, bystander.id);
    expect(framesOf(bystanderClient, 'NOTIFICATION_CREATE')).toHaveLength(0);
    expect(await inbox(bystander)).toEqual([]);
    // Writing about yourself notifies nobody.
    await send(app, w.owner, w.channelId, `<@${w.owner.id}> note to self`);
    expect(await inbox(w.owner)).toEqual([]);
  });

  it('a reply notifies the replied-to author (a mention wins over a reply); system messages notify nobody', async () => {
    const w = await world(app);
    const asker = await join(app, w);
    const question = await send(app, asker, w.channelId, 'question?');
    const reply = await as(app, w.owner, 'POST', `/channels/${w.channelId}/messages`, {
      content: 'answer',
      reply_to: question.id,
    });
    const replyAndMention = await as(app, w.owner, 'POST', `/channels/${w.channelId}/messages`, {
      content: `<@${asker.id}> answer again`,
      reply_to: question.id,
    });
    await startThread(app, w.owner, w.channelId, `<@${asker.id}> thread name`);
    const got = await inbox(asker);
    expect(got.map((n) => [n.type, n.message_id])).toEqual([
      ['mention', replyAndMention.body.id],
      ['reply', reply.body.id],
    ]);
  });

  it('never for users who cannot see the channel or who blocked the author; @everyone reaches every viewer', async () => {
    const w = await world(app);
    const blind = await join(app, w);
    const blocker = await join(app, w);
    const fan = await join(app, w);
    await as(app, w.owner, 'PUT', `/channels/${w.channelId}/permissions/${blind.id}`, {
      type: 'member',
      deny: String(Permission.VIEW_CHANNEL),
    });
    expect(
      (await as(app, blocker, 'PUT', `/users/@me/relationships/${w.owner.id}`, { status: 'blocked' })).status,
    ).toBeLessThan(300);
    await send(app, w.owner, w.channelId, `<@${blind.id}> <@${blocker.id}> <@${fan.id}>`);
    await send(app, w.owner, w.channelId, '@everyone look');
    expect(await inbox(blind)).toEqual([]);
    expect(await inbox(blocker)).toEqual([]);
    expect((await inbox(fan)).map((n) => n.type)).toEqual(['mention', 'mention']);
  });

  it('@here reaches the viewers who are online (not invisible, not offline), and whoever is named', async () => {
    const w = await world(app);
    const awake = await join(app, w);
    const hiding = await join(app, w);
    const asleep = await join(app, w);
    const named = await join(app, w);
    await connect(app, awake, clients);
    const ghost = await connect(app, hiding, clients);
    expect(await ghost.command('presence_update', { status: 'invisible' })).toMatchObject({ ok: true });
    const message = await send(app, w.owner, w.channelId, `@here <@${named.id}> standup`);
    expect((await inbox(awake)).map((n) => [n.type, n.message_id])).toEqual([['mention', message.id]]);
    expect((await inbox(named)).map((n) => n.type)).toEqual(['mention']);
    expect(await inbox(hiding)).toEqual([]);
    expect(await inbox(asleep)).toEqual([]);
  });

  it('mentions in a thread reach those who can see its parent', async () => {
    const w = await world(app);
    const member = await join(app, w);
    const thread = await startThread(app, w.owner, w.channelId);
    const message = await send(app, w.owner, thread.id, `<@${member.id}> over here`);
    const [n] = await inbox(member);
    expect(n).toMatchObject({ channel_id: thread.id, message_id: message.id, type: 'mention' });
  });

  it('paginates newest first, filters unread, and is acked in bulk, by id, or by reading the channel', async () => {
    const w = await world(app);
    const me = await join(app, w);
    const sent: string[] = [];
    for (let i = 0; i < 5; i++) sent.push((await send(app, w.owner, w.channelId, `<@${me.id}> ${i}`)).id);
    const all = await inbox(me);
    expect(all.map((n) => n.message_id)).toEqual([...sent].reverse());
    const ids = all.map((n) => n.id);
    expect((await inbox(me, '?limit=2')).map((n) => n.id)).toEqual(ids.slice(0, 2));
    expect((await inbox(me, `?before=${ids[1]}&limit=2`)).map((n) => n.id)).toEqual(ids.slice(2, 4));
    expect((await inbox(me, `?after=${ids[3]}`)).map((n) => n.id)).toEqual([ids[2], ids[1], ids[0]]);
    const badLimit = await as(app, me, 'GET', '/users/@me/notifications?limit=101');
    expect([badLimit.status, Object.keys(badLimit.body.errors)]).toEqual([400, ['limit']]);

    // By id: only one's own.
    const one = await as(app, me, 'POST', `/users/@me/notifications/${ids[0]}/ack`);
    expect(one.status).toBe(204);
    expect((await as(app, w.owner, 'POST', `/users/@me/notifications/${ids[1]}/ack`)).status).toBe(404);
    expect((await inbox(me, '?unread=true')).map((n) => n.id)).toEqual(ids.slice(1));

    // Older than `before`.
    const some = await as(app, me, 'POST', '/users/@me/notifications/ack', { before: ids[2] });
    expect(some.body).toEqual({ count: 2 });
    expect((await inbox(me, '?unread=true')).map((n) => n.id)).toEqual([ids[1], ids[2]]);

    // Reading the channel up to a message reads its notifications.
    await as(app, me, 'POST', `/channels/${w.channelId}/messages/${sent[3]}/ack`);
    expect((await inbox(me, '?unread=true')).map((n) => n.id)).toEqual([]);
    const more = await send(app, w.owner, w.channelId, `<@${me.id}> more`);
    expect((await inbox(me, '?unread=true')).map((n) => n.message_id)).toEqual([more.id]);
    expect((await as(app, me, 'POST', '/users/@me/notifications/ack', {})).body).toEqual({ count: 1 });
  });

  it('a notification leaves the inbox when its channel is hidden or its message deleted', async () => {
    const w = await world(app);
    const me = await join(app, w);
    const gone = await send(app, w.owner, w.channelId, `<@${me.id}> to delete`);
    await send(app, w.owner, w.channelId, `<@${me.id}> to hide`);
    expect(await inbox(me)).toHaveLength(2);
    await as(app, w.owner, 'DELETE', `/channels/${w.channelId}/messages/${gone.id}`);
    expect(await inbox(me)).toHaveLength(1);
    await as(app, w.owner, 'PUT', `/channels/${w.channelId}/permissions/${me.id}`, {
      type: 'member',
      deny: String(Permission.VIEW_CHANNEL),
    });
    expect(await inbox(me)).toEqual([]);
  });
});

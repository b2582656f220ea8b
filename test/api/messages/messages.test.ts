import { invalidate } from '../../../shared/domain/invalidation.js';
import { useTestApp } from '../../helpers/app.js';
import { api, registerUser, type TestUser } from '../../helpers/accounts.js';
import { connectGateway, type GatewayClient } from '../../helpers/gateway-client.js';
import { decodeSnowflake } from '../../../shared/snowflake.js';
import { presentMessages } from '../../../shared/presenters/message-reactions.js';
import type { MessageObject } from '../../../shared/presenters/types.js';

const clients: GatewayClient[] = [];
const app = useTestApp();
afterAll(() => {
  for (const c of clients) c.close();
});

interface World {
  owner: TestUser;
  serverId: string;
  channelId: string;
}

async function world(): Promise<World> {
  const owner = await registerUser(app);
  const server = await api(app, 'POST', '/servers', { token: owner.token, body: { name: 'msgs' } });
  const channels = await api(app, 'GET', `/servers/${server.body.id}/channels`, { token: owner.token });
  return { owner, serverId: server.body.id, channelId: channels.body[0].id };
}

async function join(w: World): Promise<TestUser> {
  const user = await registerUser(app);
  const invite = await api(app, 'POST', `/channels/${w.channelId}/invites`, {
    token: w.owner.token,
    body: {},
  });
  expect((await api(app, 'POST', `/invites/${invite.body.code}`, { token: user.token })).status).toBe(200);
  return user;
}

const setSlowmode = (w: World, seconds: number) =>
  api(app, 'PATCH', `/channels/${w.channelId}`, {
    token: w.owner.token,
    body: { slowmode_seconds: seconds },
  });

const send = (w: World, user: TestUser, body: Record<string, unknown>) =>
  api(app, 'POST', `/channels/${w.channelId}/messages`, { token: user.token, body });

describe('sending', () => {
  it('stores the message through the queue, answers with it, and emits MESSAGE_CREATE', async () => {
    const w = await world();
    const c = await connectGateway(app.origin, { token: w.owner.token });
    clients.push(c);
    const res = await send(w, w.owner, { content: 'hello **world**', nonce: 'n-1' });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({
      channel_id: w.channelId,
      author_id: w.owner.id,
      type: 'default',
      content: 'hello **world**',
      nonce: 'n-1',
      edited_at: null,
      pinned: false,
      mentions: [],
      mention_everyone: false,
    });
    expect(res.body.content_html).toContain('<strong>world</strong>');
    expect(res.body.created_at).toBe(decodeSnowflake(res.body.id).createdAt);
    const [frame] = await c.waitForFrames(1, (f) => f.t === 'MESSAGE_CREATE');
    expect(frame?.d).toEqual(res.body);
    expect(await app.rt.models.Message.count({ where: { id: res.body.id } })).toBe(1);
  });

  it('answers a nonce with the type it was sent with, everywhere the message is read', async () => {
    const w = await world();
    const c = await connectGateway(app.origin, { token: w.owner.token });
    clients.push(c);
    const asInteger = await send(w, w.owner, { content: 'int', nonce: 1234567890123 });
    const asText = await send(w, w.owner, { content: 'text', nonce: '1234567890124' });
    const huge = await send(w, w.owner, { content: 'huge', nonce: 2 ** 60 });
    expect([asInteger.body.nonce, asText.body.nonce, huge.body.nonce]).toEqual([
      1234567890123,
      '1234567890124',
      String(2 ** 60),
    ]);
    const frames = await c.waitForFrames(3, (f) => f.t === 'MESSAGE_CREATE');
    expect(frames.map((f) => (f.d as { nonce: unknown }).nonce)).toEqual([
      1234567890123,
      '1234567890124',
      String(2 ** 60),
    ]);
    const one = await api(app, 'GET', `/channels/${w.channelId}/messages/${asInteger.body.id}`, {
      token: w.owner.token,
    });
    expect(one.body.nonce).toBe(1234567890123);
    const page = await api(app, 'GET', `/channels/${w.channelId}/messages?limit=3`, { token: w.owner.token });
    expect((page.body as { nonce: unknown }[]).map((m) => m.nonce)).toEqual([
      String(2 ** 60),
      '1234567890124',
      1234567890123,
    ]);
    // A retry with the same integer answers the same message, still with an integer nonce.
    const again = await send(w, w.owner, { content: 'int', nonce: 1234567890123 });
    expect([again.body.id, again.body.nonce]).toEqual([asInteger.body.id, 1234567890123]);
  });

  it('the same nonce sent concurrently stores one message and answers the same one to all', async () => {
    const w = await world();
    const results = await Promise.all(
      Array.from({ length: 6 }, () => send(w, w.owner, { content: 'once', nonce: 'dup' })),
    );
    expect(new Set(results.map((r) => r.status))).toEqual(new Set([200]));
    expect(new Set(results.map((r) => r.body.id as string)).size).toBe(1);
    expect(await app.rt.models.Message.count({ where: { channel_id: w.channelId, nonce: 'dup' } })).toBe(1);
    // Another author's identical nonce is their own message.
    const other = await join(w);
    const theirs = await send(w, other, { content: 'mine', nonce: 'dup' });
    expect(theirs.body.id).not.toBe(results[0]?.body.id);
  });

  it.each([
    ['empty content', { content: '' }],
    ['whitespace only', { content: '   \n ' }],
    ['4001 characters', { content: 'x'.repeat(4001) }],
    ['content of the wrong type', { content: 42 }],
    ['missing content', {}],
  ])('400 naming content for %s', async (_what, body) => {
    const w = await world();
    const res = await send(w, w.owner, body);
    expect(res.status).toBe(400);
    expect(res.body.errors).toHaveProperty('content');
  });

  it('mentions of ids too large for any row are plain text, and the message is stored', async () => {
    const w = await world();
    const res = await send(w, w.owner, { content: '<@99999999999999999999> <@&99999999999999999999> hi' });
    expect(res.status).toBe(200);
    expect([res.body.mentions, res.body.mention_roles]).toEqual([[], []]);
  });

  it('accepts exactly 4000 characters', async () => {
    const w = await world();
    expect((await send(w, w.owner, { content: 'y'.repeat(4000) })).status).toBe(200);
  });

  it('404 for an unknown channel or one the caller is not in; 403 without SEND_MESSAGES', async () => {
    const w = await world();
    const stranger = await registerUser(app);
    expect((await send(w, stranger, { content: 'hi' })).status).toBe(404);
    expect(
      (await api(app, 'POST', '/channels/1/messages', { token: w.owner.token, body: { content: 'x' } }))
        .status,
    ).toBe(404);
    const member = await join(w);
    const everyone = await app.rt.models.Role.findByPk(w.serverId, { rejectOnEmpty: true });
    await app.rt.models.Role.update(
      { permissions: String(BigInt(everyone.permissions) & ~(1n << 11n)) },
      { where: { id: w.serverId } },
    );
    await invalidate(app.rt, { servers: [w.serverId] });
    const res = await send(w, member, { content: 'hi' });
    expect([res.status, res.body.code]).toEqual([403, 'missing_permission']);
    expect(res.body.message).toMatch(/SEND_MESSAGES/);
  });

  it('slowmode: a second message within the window is 429 with retry_after; the owner bypasses it', async () => {
    const w = await world();
    const member = await join(w);
    await setSlowmode(w, 30);
    expect((await send(w, member, { content: 'one' })).status).toBe(200);
    const second = await send(w, member, { content: 'two' });
    expect(second.status).toBe(429);
    expect(second.body.retry_after).toBeGreaterThan(0);
    expect(Number(second.headers.get('retry-after'))).toBeGreaterThan(0);
    expect((await send(w, w.owner, { content: 'a' })).status).toBe(200);
    expect((await send(w, w.owner, { content: 'b' })).status).toBe(200);
  });

  it('slowmode: a refused send gives its nonce back, and a retry of an accepted one answers it again', async () => {
    const w = await world();
    const member = await join(w);
    await setSlowmode(w, 30);
    const first = await send(w, member, { content: 'one', nonce: 'slow-1' });
    expect(first.status).toBe(200);
    // A retry of the accepted send is that message, not a slowmode refusal.
    expect((await send(w, member, { content: 'one', nonce: 'slow-1' })).body.id).toBe(first.body.id);
    const refused = await send(w, member, { content: 'two', nonce: 'slow-2' });
    expect(refused.status).toBe(429);
    await setSlowmode(w, 0);
    const again = await send(w, member, { content: 'two', nonce: 'slow-2' });
    expect(again.status).toBe(200);
    expect(again.body).toMatchObject({ content: 'two', nonce: 'slow-2' });
    expect(again.body.id).not.toBe(first.body.id);
  });

  it('a reply must point at a message of the same channel', async () => {
    const w = await world();
    const first = await send(w, w.owner, { content: 'question' });
    const reply = await send(w, w.owner, { content: 'answer', reply_to: first.body.id });
    expect(reply.body).toMatchObject({ type: 'reply', reply_to: first.body.id });
    const bad = await send(w, w.owner, { content: 'answer', reply_to: '123' });
    expect(bad.status).toBe(400);
    expect(bad.body.errors).toHaveProperty('reply_to');
  });

  it('mentions resolve against what exists and what the author may do', async () => {
    const w = await world();
    const member = await join(w);
    const byMember = await send(w, member, { content: `hey <@${w.owner.id}> and @everyone` });
    expect(byMember.body.mentions).toEqual([w.owner.id]);
    expect(byMember.body.mention_everyone).toBe(false);
    const byOwner = await send(w, w.owner, { content: '@everyone listen' });
    expect(byOwner.body.mention_everyone).toBe(true);
  });

  it('a DM works for its two recipients and stops when one blocks the other', async () => {
    const a = await registerUser(app);
    const b = await registerUser(app);
    const dm = await api(app, 'POST', '/users/@me/channels', {
      token: a.token,
      body: { recipient_id: b.id },
    });
    const path = `/channels/${dm.body.id}/messages`;
    expect((await api(app, 'POST', path, { token: a.token, body: { content: 'hi b' } })).status).toBe(200);
    expect((await api(app, 'GET', path, { token: b.token })).body).toHaveLength(1);
    const outsider = await registerUser(app);
    expect((await api(app, 'GET', path, { token: outsider.token })).status).toBe(404);
    await api(app, 'PUT', `/users/@me/relationships/${a.id}`, {
      token: b.token,
      body: { status: 'blocked' },
    });
    const blocked = await api(app, 'POST', path, { token: a.token, body: { content: 'hello?' } });
    expect([blocked.status, blocked.body.code]).toEqual([403, 'cannot_message_user']);
  });
});

describe('history', () => {
  async function seed(w: World, n: number): Promise<string[]> {
    const ids = Array.from({ length: n }, () => app.rt.snowflake.next());
    await app.rt.models.Message.bulkCreate(
      ids.map((id, i) => ({
        id,
        channel_id: w.channelId,
        author_id: w.owner.id,
        content: `m${i}`,
        created_at: new Date(decodeSnowflake(id).timestampMs),
      })),
    );
    return ids;
  }
  const history = (w: World, query = '') =>
    api(app, 'GET', `/channels/${w.channelId}/messages${query}`, { token: w.owner.token });

  it('an empty channel gives an empty page', async () => {
    const w = await world();
    expect((await history(w)).body).toEqual([]);
  });

  it('pages newest first with before or neither, oldest first with after', async () => {
    const w = await world();
    const ids = await seed(w, 120);
    const first = await history(w, '?limit=100');
    expect(first.body.map((m: { id: string }) => m.id)).toEqual([...ids].reverse().slice(0, 100));
    const rest = await history(w, `?limit=100&before=${first.body[99].id}`);
    expect(rest.body.map((m: { id: string }) => m.id)).toEqual([...ids].reverse().slice(100));
    expect((await history(w)).body).toHaveLength(50);
    const after = await history(w, `?after=${ids[9]}&limit=5`);
    expect(after.body.map((m: { id: string }) => m.id)).toEqual(ids.slice(10, 15));
    expect((await history(w, `?before=${ids[0]}`)).body).toEqual([]);
    expect((await history(w, `?after=${ids[119]}`)).body).toEqual([]);
    const between = await history(w, `?after=${ids[10]}&before=${ids[14]}`);
    expect(between.body.map((m: { id: string }) => m.id)).toEqual(ids.slice(11, 14));
  });

  it('exactly 100 messages: one full page, then an empty one; after=0 starts from the oldest', async () => {
    const w = await world();
    const ids = await seed(w, 100);
    const page = await history(w, '?limit=100');
    expect(page.body.map((m: { id: string }) => m.id)).toEqual([...ids].reverse());
    expect((await history(w, `?limit=100&before=${ids[0]}`)).body).toEqual([]);
    const oldest = await history(w, '?after=0&limit=3');
    expect(oldest.body.map((m: { id: string }) => m.id)).toEqual(ids.slice(0, 3));
  });

  it.each(['?limit=0', '?limit=101', '?limit=abc', '?before=xyz', '?after=-1'])(
    '400 for %s',
    async (query) => {
      const w = await world();
      const res = await history(w, query);
      expect(res.status).toBe(400);
    },
  );

  it('each message as the presenter gives it: webhook author, interaction, mentions, reactions, edits', async () => {
    const w = await world();
    const other = await join(w);
    const [plain, edited, hooked, answer, reply] = (await seed(w, 5)) as [
      string,
      string,
      string,
      string,
      string,
    ];
    const { Message, MessageReaction } = app.rt.models;
    await Message.update(
      {
        content: 'line\n"quoted" \u00e9 \u{1F600} \u0001',
        edited_at: new Date(Date.now() - 1500),
        mentions: [other.id],
        mention_roles: [w.serverId],
        mention_everyone: true,
        attachments: [{ id: '7', filename: 'a b.png', content_type: 'image/png', size: 3, url: '/m/a' }],
        embeds: [{ url: 'https://example.com/', title: 't', fields: [{ name: 'n', value: 'v' }] }],
        pinned: true,
        nonce: 'n-1',
      },
      { where: { id: edited } },
    );
    await Message.update(
      { webhook_id: hooked, webhook_author: { username: 'Hook', avatar_url: null } },
      { where: { id: hooked } },
    );
    await Message.update(
      { interaction: { id: '42', name: 'ping', user_id: other.id } },
      { where: { id: answer } },
    );
    await Message.update({ reply_to: plain, thread_id: plain }, { where: { id: reply } });
    const at = (s: number) => new Date(Date.now() - s * 1000);
    await MessageReaction.bulkCreate([
      { message_id: plain, user_id: other.id, emoji: '👍', created_at: at(30) },
      { message_id: plain, user_id: other.id, emoji: '🎉', created_at: at(20) },
      { message_id: plain, user_id: w.owner.id, emoji: '👍', created_at: at(10) },
    ]);

    const page = await history(w);
    expect(page.headers.get('content-type')).toBe('application/json; charset=utf-8');
    const rows = await Message.findAll({ where: { channel_id: w.channelId }, order: [['id', 'DESC']] });
    expect(page.body).toEqual(await presentMessages(app.rt, rows, w.owner.id));
    const hookedMessage = (page.body as MessageObject[]).find((m) => m.id === hooked);
    expect(hookedMessage?.author).toEqual({ id: hooked, username: 'Hook', avatar_url: null, bot: true });
    const reacted = (page.body as MessageObject[]).find((m) => m.id === plain);
    expect(reacted?.reactions).toEqual([
      { emoji: '👍', count: 2, me: true },
      { emoji: '🎉', count: 1, me: false },
    ]);
  });

  it('needs READ_MESSAGE_HISTORY', async () => {
    const w = await world();
    const member = await join(w);
    await api(app, 'PUT', `/channels/${w.channelId}/permissions/${member.id}`, {
      token: w.owner.token,
      body: { type: 'member', allow: '0', deny: String(1n << 16n) },
    });
    const res = await api(app, 'GET', `/channels/${w.channelId}/messages`, { token: member.token });
    expect([res.status, res.body.code]).toEqual([403, 'missing_permission']);
  });
});

describe('edit and delete', () => {
  it('the author edits (edited_at set, MESSAGE_UPDATE); others get 403', async () => {
    const w = await world();
    const member = await join(w);
    const c = await connectGateway(app.origin, { token: member.token });
    clients.push(c);
    const sent = await send(w, w.owner, { content: 'draft' });
    const edited = await api(app, 'PATCH', `/channels/${w.channelId}/messages/${sent.body.id}`, {
      token: w.owner.token,
      body: { content: 'final *text*' },
    });
    expect(edited.status).toBe(200);
    expect(edited.body).toMatchObject({ id: sent.body.id, content: 'final *text*' });
    expect(edited.body.edited_at).toEqual(expect.any(Number));
    expect(edited.body.content_html).toContain('<em>text</em>');
    const [update] = await c.waitForFrames(1, (f) => f.t === 'MESSAGE_UPDATE');
    expect(update?.d).toEqual(edited.body);
    const notMine = await api(app, 'PATCH', `/channels/${w.channelId}/messages/${sent.body.id}`, {
      token: member.token,
      body: { content: 'hijack' },
    });
    expect([notMine.status, notMine.body.code]).toEqual([403, 'not_author']);
  });

  it('the author or a MANAGE_MESSAGES holder deletes (MESSAGE_DELETE); others get 403; then 404', async () => {
    const w = await world();
    const member = await join(w);
    const c = await connectGateway(app.origin, { token: member.token });
    clients.push(c);
    const mine = await send(w, member, { content: 'mine' });
    const owners = await send(w, w.owner, { content: 'owner' });
    const refused = await api(app, 'DELETE', `/channels/${w.channelId}/messages/${owners.body.id}`, {
      token: member.token,
    });
    expect(refused.status).toBe(403);
    expect(
      (await api(app, 'DELETE', `/channels/${w.channelId}/messages/${mine.body.id}`, { token: member.token }))
        .status,
    ).toBe(204);
    expect(
      (
        await api(app, 'DELETE', `/channels/${w.channelId}/messages/${owners.body.id}`, {
          token: w.owner.token,
        })
      ).status,
    ).toBe(204);
    await c.waitForFrames(2, (f) => f.t === 'MESSAGE_DELETE');
    expect(c.frames.filter((f) => f.t === 'MESSAGE_DELETE').map((f) => (f.d as { id: string }).id)).toEqual([
      mine.body.id,
      owners.body.id,
    ]);
    expect(
      (await api(app, 'GET', `/channels/${w.channelId}/messages/${mine.body.id}`, { token: w.owner.token }))
        .status,
    ).toBe(404);
  });
});

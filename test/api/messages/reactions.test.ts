import { invalidate } from '../../../shared/domain/invalidation.js';
import { useTestApp } from '../../helpers/app.js';
import { createUser } from '../../helpers/factories.js';
import type { DispatchFrame } from '../../../shared/events/index.js';
import {
  Permission,
  as,
  denyIn,
  useGateways,
  makeWorld,
  member,
  memberWith,
  person,
  reactionPath,
  send,
  setEveryone,
  type World,
} from './pipeline-helpers.js';

const app = useTestApp();
const gw = useGateways(app);

const isReaction = (t: string) => (f: DispatchFrame) => f.t === t;
const rows = (messageId: string, emoji?: string) =>
  app.rt.models.MessageReaction.count({ where: { message_id: messageId, ...(emoji ? { emoji } : {}) } });

async function messageIn(w: World) {
  return send(app, w.owner, w.channelId, 'react to me');
}

describe('adding', () => {
  it('adds once: 204 both times, one row, one MESSAGE_REACTION_ADD; message objects carry the reaction', async () => {
    const w = await makeWorld(app);
    const viewer = await member(app, w.serverId);
    const reactor = await member(app, w.serverId);
    const c = await gw.connect(viewer);
    const m = await messageIn(w);
    const path = `${reactionPath(w.channelId, m.id, '👍')}/@me`;
    expect((await as(app, reactor, 'PUT', path)).status).toBe(204);
    expect((await as(app, reactor, 'PUT', path)).status).toBe(204);
    expect(await rows(m.id)).toBe(1);

    const [added] = await c.waitForFrames(1, isReaction('MESSAGE_REACTION_ADD'));
    expect(added?.d).toEqual({ channel_id: w.channelId, message_id: m.id, user_id: reactor.id, emoji: '👍' });
    // A message sent afterwards arrives after any stray second event would have.
    const later = await send(app, w.owner, w.channelId, 'sentinel');
    await c.waitForFrames(1, (f) => f.t === 'MESSAGE_CREATE' && (f.d as { id: string }).id === later.id);
    expect(c.frames.filter(isReaction('MESSAGE_REACTION_ADD'))).toHaveLength(1);

    const mine = await as(app, reactor, 'GET', `/channels/${w.channelId}/messages/${m.id}`);
    expect(mine.body.reactions).toEqual([{ emoji: '👍', count: 1, me: true }]);
    const theirs = await as(app, viewer, 'GET', `/channels/${w.channelId}/messages?limit=5`);
    const listed = theirs.body.find((x: { id: string }) => x.id === m.id);
    expect(listed.reactions).toEqual([{ emoji: '👍', count: 1, me: false }]);
  });

  it('counts per emoji in the order each was first added', async () => {
    const w = await makeWorld(app);
    const a = await member(app, w.serverId);
    const m = await messageIn(w);
    // A custom emoji of this server (reactions take only the server's own).
    const emojiId = app.rt.snowflake.next();
    await app.rt.models.Emoji.create({
      id: emojiId,
      server_id: w.serverId,
      name: 'party_parrot',
      animated: false,
      webp_key: `emojis/${emojiId}/emoji.webp`,
      fallback_key: `emojis/${emojiId}/emoji.png`,
      created_at: new Date(),
    });
    const parrot = `party_parrot:${emojiId}`;
    for (const [who, emoji] of [
      [a, '🎉'],
      [w.owner, '👍'],
      [w.owner, '🎉'],
      [a, parrot],
    ] as const) {
      expect((await as(app, who, 'PUT', `${reactionPath(w.channelId, m.id, emoji)}/@me`)).status).toBe(204);
    }
    const expected = [
      { emoji: '🎉', count: 2, me: true },
      { emoji: '👍', count: 1, me: false },
      { emoji: parrot, count: 1, me: true },
    ];
    const res = await as(app, a, 'GET', `/channels/${w.channelId}/messages/${m.id}`);
    expect(res.body.reactions).toEqual(expected);
    // History pages summarize them the same way, for each page shape.
    for (const query of ['?limit=5', `?after=${BigInt(m.id) - 1n}`, `?before=${BigInt(m.id) + 1n}&limit=1`]) {
      const page = await as(app, a, 'GET', `/channels/${w.channelId}/messages${query}`);
      expect(page.body.find((x: { id: string }) => x.id === m.id)?.reactions).toEqual(expected);
    }
  });

  it.each([
    ['letters', 'abc'],
    ['digits', '123'],
    ['a space after the emoji', '👍 '],
    ['a control character', '👍\u0000'],
    ['65 code points', '😀'.repeat(65)],
    // Digits are both Emoji and Emoji_Component: an alternation of the two backtracked 2^63 ways.
    ['63 digits and a letter', `${'1'.repeat(63)}a`],
    ['63 keycap bases and a space', `${'#'.repeat(63)} `],
    ['a custom emoji with a one-letter name', 'a:123'],
    ['a custom emoji with a bad id', 'name:abc'],
    ['a custom emoji with a bad name', 'na-me:123'],
  ])('400 naming emoji for %s', async (_what, emoji) => {
    const w = await makeWorld(app);
    const m = await messageIn(w);
    const res = await as(app, w.owner, 'PUT', `${reactionPath(w.channelId, m.id, emoji)}/@me`);
    expect(res.status).toBe(400);
    expect(res.body.errors).toHaveProperty('emoji');
  });

  it('accepts emoji sequences: skin tones, families, flags, keycaps', async () => {
    const w = await makeWorld(app);
    const m = await messageIn(w);
    for (const emoji of ['👍🏽', '👨‍👩‍👧‍👦', '🇫🇷', '1️⃣', '❤️']) {
      expect([
        emoji,
        (await as(app, w.owner, 'PUT', `${reactionPath(w.channelId, m.id, emoji)}/@me`)).status,
      ]).toEqual([emoji, 204]);
    }
    expect(await rows(m.id)).toBe(5);
  });

  it('a new emoji needs ADD_REACTIONS; joining an existing one needs only VIEW_CHANNEL and READ_MESSAGE_HISTORY', async () => {
    const w = await makeWorld(app);
    await setEveryone(app, w.serverId, (p) => p & ~Permission.ADD_REACTIONS);
    const m = await messageIn(w);
    const plain = await member(app, w.serverId);
    const fresh = await as(app, plain, 'PUT', `${reactionPath(w.channelId, m.id, '🔥')}/@me`);
    expect([fresh.status, fresh.body.code, fresh.body.permission]).toEqual([
      403,
      'missing_permission',
      'ADD_REACTIONS',
    ]);
    expect((await as(app, w.owner, 'PUT', `${reactionPath(w.channelId, m.id, '🔥')}/@me`)).status).toBe(204);
    expect((await as(app, plain, 'PUT', `${reactionPath(w.channelId, m.id, '🔥')}/@me`)).status).toBe(204);
    expect(await rows(m.id, '🔥')).toBe(2);
  });

  it('403 without READ_MESSAGE_HISTORY; 404 for strangers, unknown messages and hidden channels', async () => {
    const w = await makeWorld(app);
    const m = await messageIn(w);
    const noHistory = await member(app, w.serverId);
    await denyIn(app, w, w.channelId, noHistory, Permission.READ_MESSAGE_HISTORY);
    const res = await as(app, noHistory, 'PUT', `${reactionPath(w.channelId, m.id, '👍')}/@me`);
    expect([res.status, res.body.permission]).toEqual([403, 'READ_MESSAGE_HISTORY']);
    const stranger = await person(app);
    expect((await as(app, stranger, 'PUT', `${reactionPath(w.channelId, m.id, '👍')}/@me`)).status).toBe(404);
    const unknown = await as(app, w.owner, 'PUT', `${reactionPath(w.channelId, '1234', '👍')}/@me`);
    expect([unknown.status, unknown.body.code]).toEqual([404, 'unknown_message']);
    const hidden = await member(app, w.serverId);
    await denyIn(app, w, w.channelId, hidden, Permission.VIEW_CHANNEL);
    expect((await as(app, hidden, 'GET', reactionPath(w.channelId, m.id, '👍'))).status).toBe(404);
  });

  it(`a message holds at most 20 different emoji`, async () => {
    const w = await makeWorld(app);
    const m = await messageIn(w);
    const emoji = [
      '😀',
      '😁',
      '😂',
      '🤣',
      '😃',
      '😄',
      '😅',
      '😆',
      '😉',
      '😊',
      '😋',
      '😎',
      '😍',
      '😘',
      '🥰',
      '😗',
      '😙',
      '🥲',
      '😚',
      '🙂',
    ];
    for (const e of emoji)
      await app.rt.models.MessageReaction.create({ message_id: m.id, emoji: e, user_id: w.owner.id });
    const res = await as(app, w.owner, 'PUT', `${reactionPath(w.channelId, m.id, '🤗')}/@me`);
    expect([res.status, res.body.code]).toEqual([400, 'too_many_reactions']);
    // Joining one of the twenty is still fine.
    const other = await member(app, w.serverId);
    expect((await as(app, other, 'PUT', `${reactionPath(w.channelId, m.id, '😀')}/@me`)).status).toBe(204);
  });

  it('a timed-out member cannot react', async () => {
    const w = await makeWorld(app);
    const m = await messageIn(w);
    const muted = await member(app, w.serverId);
    await app.rt.models.MessageReaction.create({ message_id: m.id, emoji: '👍', user_id: w.owner.id });
    await app.rt.models.Member.update(
      { timeout_until: new Date(Date.now() + 3600_000) },
      { where: { server_id: w.serverId, user_id: muted.id } },
    );
    await invalidate(app.rt, { servers: [w.serverId] });
    const res = await as(app, muted, 'PUT', `${reactionPath(w.channelId, m.id, '👍')}/@me`);
    expect([res.status, res.body.permission]).toEqual([403, 'ADD_REACTIONS']);
  });
});

describe('removing', () => {
  it('removes the caller’s own (MESSAGE_REACTION_REMOVE once); removing again is a no-op', async () => {
    const w = await makeWorld(app);
    const m = await messageIn(w);
    const c = await gw.connect(w.owner);
    const path = `${reactionPath(w.channelId, m.id, '👍')}/@me`;
    await as(app, w.owner, 'PUT', path);
    expect((await as(app, w.owner, 'DELETE', path)).status).toBe(204);
    expect((await as(app, w.owner, 'DELETE', path)).status).toBe(204);
    expect(await rows(m.id)).toBe(0);
    const [removed] = await c.waitForFrames(1, isReaction('MESSAGE_REACTION_REMOVE'));
    expect(removed?.d).toEqual({
      channel_id: w.channelId,
      message_id: m.id,
      user_id: w.owner.id,
      emoji: '👍',
    });
    const later = await send(app, w.owner, w.channelId, 'sentinel');
    await c.waitForFrames(1, (f) => f.t === 'MESSAGE_CREATE' && (f.d as { id: string }).id === later.id);
    expect(c.frames.filter(isReaction('MESSAGE_REACTION_REMOVE'))).toHaveLength(1);
    const res = await as(app, w.owner, 'GET', `/channels/${w.channelId}/messages/${m.id}`);
    expect(res.body.reactions).toEqual([]);
  });

  it('add, remove, add again: each toggle takes effect (no stale job swallows it)', async () => {
    const w = await makeWorld(app);
    const m = await messageIn(w);
    const path = `${reactionPath(w.channelId, m.id, '🔁')}/@me`;
    for (let i = 0; i < 3; i++) {
      expect((await as(app, w.owner, 'PUT', path)).status).toBe(204);
      expect(await rows(m.id)).toBe(1);
      expect((await as(app, w.owner, 'DELETE', path)).status).toBe(204);
      expect(await rows(m.id)).toBe(0);
    }
  });

  it('someone else’s reaction needs MANAGE_MESSAGES', async () => {
    const w = await makeWorld(app);
    const m = await messageIn(w);
    const reactor = await member(app, w.serverId);
    const other = await member(app, w.serverId);
    const mod = await memberWith(app, w, Permission.MANAGE_MESSAGES);
    const c = await gw.connect(w.owner);
    await as(app, reactor, 'PUT', `${reactionPath(w.channelId, m.id, '👍')}/@me`);
    const path = `${reactionPath(w.channelId, m.id, '👍')}/${reactor.id}`;
    const refused = await as(app, other, 'DELETE', path);
    expect([refused.status, refused.body.permission]).toEqual([403, 'MANAGE_MESSAGES']);
    expect((await as(app, mod, 'DELETE', path)).status).toBe(204);
    expect(await rows(m.id)).toBe(0);
    const [removed] = await c.waitForFrames(1, isReaction('MESSAGE_REACTION_REMOVE'));
    expect(removed?.d).toMatchObject({ user_id: reactor.id, emoji: '👍' });
    // Naming oneself needs nothing more.
    await as(app, other, 'PUT', `${reactionPath(w.channelId, m.id, '👍')}/@me`);
    expect(
      (await as(app, other, 'DELETE', `${reactionPath(w.channelId, m.id, '👍')}/${other.id}`)).status,
    ).toBe(204);
    expect(await rows(m.id)).toBe(0);
  });

  it('deleting the message deletes its reactions', async () => {
    const w = await makeWorld(app);
    const m = await messageIn(w);
    await as(app, w.owner, 'PUT', `${reactionPath(w.channelId, m.id, '👍')}/@me`);
    expect((await as(app, w.owner, 'DELETE', `/channels/${w.channelId}/messages/${m.id}`)).status).toBe(204);
    expect(await rows(m.id)).toBe(0);
  });
});

describe('who reacted', () => {
  it('lists users by id, paged as API.md pages every list: newest first with before or neither, oldest first with after', async () => {
    const w = await makeWorld(app);
    const m = await messageIn(w);
    const people = [w.owner];
    for (let i = 0; i < 4; i++) people.push(await member(app, w.serverId));
    for (const p of people) await as(app, p, 'PUT', `${reactionPath(w.channelId, m.id, '✅')}/@me`);
    const ids = people.map((p) => p.id).sort((a, b) => (BigInt(a) < BigInt(b) ? -1 : 1));
    const base = reactionPath(w.channelId, m.id, '✅');
    const first = await as(app, w.owner, 'GET', `${base}?limit=3`);
    expect(first.status).toBe(200);
    expect(first.body.map((u: { id: string }) => u.id)).toEqual([ids[4], ids[3], ids[2]]);
    expect(first.body[0]).toEqual({
      id: ids[4],
      username: expect.any(String),
      avatar_url: null,
      created_at: expect.any(Number),
    });
    // The next page of a newest-first walk: before the last id of the previous page.
    const next = await as(app, w.owner, 'GET', `${base}?limit=3&before=${ids[2]}`);
    expect(next.body.map((u: { id: string }) => u.id)).toEqual([ids[1], ids[0]]);
    // after: oldest first; with before too, the ones strictly between, oldest first.
    const rest = await as(app, w.owner, 'GET', `${base}?limit=3&after=${ids[0]}`);
    expect(rest.body.map((u: { id: string }) => u.id)).toEqual(ids.slice(1, 4));
    const between = await as(app, w.owner, 'GET', `${base}?after=${ids[0]}&before=${ids[4]}`);
    expect(between.body.map((u: { id: string }) => u.id)).toEqual(ids.slice(1, 4));
    expect((await as(app, w.owner, 'GET', `${base}?before=x`)).status).toBe(400);
    expect((await as(app, w.owner, 'GET', reactionPath(w.channelId, m.id, '❌'))).body).toEqual([]);
    expect((await as(app, w.owner, 'GET', `${base}?limit=101`)).status).toBe(400);
    expect((await as(app, w.owner, 'GET', `${base}?after=x`)).status).toBe(400);
  });

  it('gives 50 users without a limit (API.md pagination default), 100 at most', async () => {
    const w = await makeWorld(app);
    const m = await messageIn(w);
    // Reactors written straight to the tables: only the page size is under test here.
    const users = await Promise.all(Array.from({ length: 101 }, () => createUser(app.rt)));
    await app.rt.models.MessageReaction.bulkCreate(
      users.map((u) => ({ message_id: m.id, emoji: '🎉', user_id: u.id })),
    );
    const base = reactionPath(w.channelId, m.id, '🎉');
    const byDefault = await as(app, w.owner, 'GET', base);
    expect(byDefault.status).toBe(200);
    expect(byDefault.body).toHaveLength(50);
    expect((await as(app, w.owner, 'GET', `${base}?limit=100`)).body).toHaveLength(100);
  });
});

describe('direct messages', () => {
  it('both recipients may react', async () => {
    const a = await person(app);
    const b = await person(app);
    const dm = await as(app, a, 'POST', '/users/@me/channels', { recipient_id: b.id });
    const m = await send(app, a, dm.body.id, 'hi');
    expect((await as(app, b, 'PUT', `${reactionPath(dm.body.id, m.id, '👋')}/@me`)).status).toBe(204);
    const res = await as(app, a, 'GET', `/channels/${dm.body.id}/messages/${m.id}`);
    expect(res.body.reactions).toEqual([{ emoji: '👋', count: 1, me: false }]);
    // Nobody moderates a DM: another's reaction stays.
    const refused = await as(app, a, 'DELETE', `${reactionPath(dm.body.id, m.id, '👋')}/${b.id}`);
    expect(refused.status).toBe(403);
  });
});

import { issueSession } from '../../shared/accounts/sessions.js';
import { invalidate } from '../../shared/domain/invalidation.js';
import { decodeSnowflake } from '../../shared/snowflake.js';
import { useTestApp } from '../helpers/app.js';
import { api, registerUser, type TestUser } from '../helpers/accounts.js';
import { createServerWithChannel, createUser } from '../helpers/factories.js';
import { addRole } from './servers/helpers.js';

// API.md: "Pagination: `limit` (1-100, default 50), `before`, `after` (snowflakes). Newest first with
// `before` or with neither; oldest first with `after`." The lists below are checked against it over
// real HTTP, each keyed by the id the README's Decisions name for it.

const app = useTestApp({ workers: false, gateway: false });

/** One list: where it is, whose it is, and the keys of every item it holds. */
interface ListCase {
  path: string;
  user: TestUser;
  /** Every item's key, smallest first. */
  keys: string[];
  /** The answer without parameters; default: every key, largest first (fewer than 50 here). */
  whole?: string[];
}

const ascending = (ids: string[]) => [...ids].sort((a, b) => (BigInt(a) < BigInt(b) ? -1 : 1));
const idsOf = (body: { id: string }[]) => body.map((item) => item.id);

async function get(list: ListCase, query: string) {
  const res = await api(app, 'GET', `${list.path}${query}`, { token: list.user.token });
  expect(res.status).toBe(200);
  return idsOf(res.body as { id: string }[]);
}

/** The caller is in 5 servers; a sixth one of someone else's is not theirs to list. */
async function servers(): Promise<ListCase> {
  const user = await registerUser(app);
  const owned = [];
  for (let i = 0; i < 5; i++) owned.push((await createServerWithChannel(app.rt, user.id)).server.id);
  await createServerWithChannel(app.rt, (await createUser(app.rt)).id);
  return { path: '/users/@me/servers', user, keys: ascending(owned) };
}

/** Keyed by the other user's id (the relationship object's `id`). */
async function relationships(): Promise<ListCase> {
  const user = await registerUser(app);
  const others = [];
  for (let i = 0; i < 5; i++) {
    const other = await createUser(app.rt);
    const res = await api(app, 'PUT', `/users/@me/relationships/${other.id}`, {
      token: user.token,
      body: { status: i % 2 === 0 ? 'blocked' : 'friend' },
    });
    expect(res.status).toBe(204);
    others.push(other.id);
  }
  return { path: '/users/@me/relationships', user, keys: ascending(others) };
}

/** The registration's session and 5 more; a revoked one is not listed. */
async function sessions(): Promise<ListCase> {
  const user = await registerUser(app);
  const row = await app.rt.models.User.findByPk(user.id);
  if (!row) throw new Error('registered user missing');
  for (let i = 0; i < 5; i++) await issueSession(app.rt, row, { ip: '127.0.0.1', userAgent: null });
  const revoked = await issueSession(app.rt, row, { ip: '127.0.0.1', userAgent: null });
  await revoked.session.update({ revoked_at: new Date() });
  const live = await app.rt.models.Session.findAll({ where: { user_id: user.id, revoked_at: null } });
  expect(live).toHaveLength(6);
  return { path: '/users/@me/sessions', user, keys: ascending(live.map((s) => s.id)) };
}

/** 4 DMs and the notes channel. */
async function privateChannels(): Promise<ListCase> {
  const user = await registerUser(app);
  const ids = [];
  for (let i = 0; i < 4; i++) {
    const other = await createUser(app.rt);
    const res = await api(app, 'POST', '/users/@me/channels', {
      token: user.token,
      body: { recipient_id: other.id },
    });
    expect(res.status).toBe(200);
    ids.push(res.body.id as string);
  }
  ids.push((await api(app, 'GET', '/users/@me/notes', { token: user.token })).body.id as string);
  return { path: '/users/@me/channels', user, keys: ascending(ids) };
}

/** @everyone and 5 roles whose positions run against their ids: whole, the list is by position. */
async function roles(): Promise<ListCase> {
  const user = await registerUser(app);
  const { server } = await createServerWithChannel(app.rt, user.id);
  const created = [];
  for (let position = 5; position >= 1; position--) created.push(await addRole(app, server.id, 0n, position));
  return {
    path: `/servers/${server.id}/roles`,
    user,
    keys: ascending([server.id, ...created]),
    whole: [server.id, ...[...created].reverse()],
  };
}

/** general and 4 channels whose positions run against their ids: whole, the list is by position. */
async function channels(): Promise<ListCase> {
  const user = await registerUser(app);
  const { server, channel } = await createServerWithChannel(app.rt, user.id);
  await channel.update({ position: 10 });
  const created = [];
  for (let position = 4; position >= 1; position--) {
    const id = app.rt.snowflake.next();
    await app.rt.models.Channel.create({
      id,
      server_id: server.id,
      name: `c-${position}`,
      channel_type: 'text',
      position,
      created_at: new Date(decodeSnowflake(id).timestampMs),
    });
    created.push(id);
  }
  await invalidate(app.rt, { servers: [server.id], channels: created });
  return {
    path: `/servers/${server.id}/channels`,
    user,
    keys: ascending([channel.id, ...created]),
    whole: [...[...created].reverse(), channel.id],
  };
}

/** 5 live grants to one application (a revoked one is not listed), keyed by the grant's id. */
async function authorizations(): Promise<ListCase> {
  const user = await registerUser(app);
  const bot = await createUser(app.rt);
  const appId = app.rt.snowflake.next();
  await app.rt.models.Application.create({
    id: appId,
    owner_id: user.id,
    bot_user_id: bot.id,
    name: 'paged',
    created_at: new Date(),
  });
  const grant = async () => {
    const id = app.rt.snowflake.next();
    await app.rt.models.OAuthGrant.create({
      id,
      application_id: appId,
      user_id: user.id,
      scopes: ['identify'],
      code_hash: Buffer.from(id),
      confidential: false,
      created_at: new Date(),
    });
    return id;
  };
  const ids = [];
  for (let i = 0; i < 5; i++) ids.push(await grant());
  await app.rt.models.OAuthGrant.update({ revoked_at: new Date() }, { where: { id: await grant() } });
  return { path: '/oauth2/authorizations', user, keys: ascending(ids) };
}

/** 5 role_create entries written through the audit log, keyed by the entry's id. */
async function auditLogs(): Promise<ListCase> {
  const user = await registerUser(app);
  const { server } = await createServerWithChannel(app.rt, user.id);
  for (let i = 0; i < 5; i++) {
    const res = await api(app, 'POST', `/servers/${server.id}/roles`, {
      token: user.token,
      body: { name: `r${i}` },
    });
    expect(res.status).toBe(201);
  }
  const entries = await app.rt.models.AuditLog.findAll({ where: { server_id: server.id } });
  expect(entries.length).toBeGreaterThanOrEqual(5);
  return { path: `/servers/${server.id}/audit-logs`, user, keys: ascending(entries.map((e) => e.id)) };
}

/** A fresh id and the creation time it encodes. */
function stamped() {
  const id = app.rt.snowflake.next();
  return { id, created_at: new Date(decodeSnowflake(id).timestampMs) };
}

/** 5 rows of `user`'s made by `insert` (answering the row's id), and one of someone else's. */
async function fiveOfTheCallers(
  user: TestUser,
  path: string,
  insert: (userId: string) => Promise<string>,
): Promise<ListCase> {
  const ids = [];
  for (let i = 0; i < 5; i++) ids.push(await insert(user.id));
  await insert((await createUser(app.rt)).id);
  return { path, user, keys: ascending(ids) };
}

/** Mentions, each in a message of its own in the caller's server. */
async function notifications(): Promise<ListCase> {
  const user = await registerUser(app);
  const { server, channel } = await createServerWithChannel(app.rt, user.id);
  const author = await createUser(app.rt);
  return fiveOfTheCallers(user, '/users/@me/notifications', async (userId) => {
    const message = await app.rt.models.Message.create({
      ...stamped(),
      channel_id: channel.id,
      author_id: author.id,
      content: 'you there?',
    });
    const row = await app.rt.models.Notification.create({
      ...stamped(),
      user_id: userId,
      type: 'mention',
      server_id: server.id,
      channel_id: channel.id,
      message_id: message.id,
      author_id: author.id,
    });
    return row.id;
  });
}

/** Reports the caller filed, each of a user of its own (one open report per reporter and target). */
const ownReports = async () =>
  fiveOfTheCallers(await registerUser(app), '/users/@me/reports', async (userId) => {
    const row = await app.rt.models.Report.create({
      ...stamped(),
      reporter_id: userId,
      server_id: null,
      target_type: 'user',
      target_user_id: (await createUser(app.rt)).id,
      reason: 'paged',
      snapshot: {},
    });
    return row.id;
  });

/** 5 users who reacted with one emoji (keyed by user id); another emoji's are not listed. */
async function reactionUsers(): Promise<ListCase> {
  const user = await registerUser(app);
  const { channel } = await createServerWithChannel(app.rt, user.id);
  const { id: messageId } = await app.rt.models.Message.create({
    ...stamped(),
    channel_id: channel.id,
    author_id: user.id,
    content: 'react here',
  });
  const ids = [];
  for (let i = 0; i < 5; i++) {
    const reactor = await createUser(app.rt);
    await app.rt.models.MessageReaction.create({ message_id: messageId, emoji: '👍', user_id: reactor.id });
    ids.push(reactor.id);
  }
  const other = await createUser(app.rt);
  await app.rt.models.MessageReaction.create({ message_id: messageId, emoji: '🎉', user_id: other.id });
  return {
    path: `/channels/${channel.id}/messages/${messageId}/reactions/${encodeURIComponent('👍')}`,
    user,
    keys: ascending(ids),
  };
}

describe.each([
  ['GET /users/@me/servers', servers],
  ['GET /users/@me/relationships', relationships],
  ['GET /users/@me/sessions', sessions],
  ['GET /users/@me/channels', privateChannels],
  ['GET /servers/{id}/roles', roles],
  ['GET /servers/{id}/channels', channels],
  ['GET /oauth2/authorizations', authorizations],
  ['GET /servers/{id}/audit-logs', auditLogs],
  ['GET /users/@me/notifications', notifications],
  ['GET /users/@me/reports', ownReports],
  ['GET /channels/{id}/messages/{id}/reactions/{emoji}', reactionUsers],
])('%s', (_name, seed) => {
  let list: ListCase;
  beforeAll(async () => {
    list = await seed();
  });

  it('answers without parameters as README Decisions says', async () => {
    expect(await get(list, '')).toEqual(list.whole ?? [...list.keys].reverse());
  });

  it('limit alone: the largest keys first', async () => {
    expect(await get(list, '?limit=2')).toEqual([...list.keys].reverse().slice(0, 2));
  });

  it('before: smaller keys only, largest first', async () => {
    expect(await get(list, `?before=${list.keys[3]}`)).toEqual([list.keys[2], list.keys[1], list.keys[0]]);
    expect(await get(list, `?before=${list.keys[3]}&limit=2`)).toEqual([list.keys[2], list.keys[1]]);
  });

  it('after: larger keys only, smallest first', async () => {
    expect(await get(list, `?after=${list.keys[0]}&limit=2`)).toEqual([list.keys[1], list.keys[2]]);
    expect(await get(list, `?after=${list.keys[2]}`)).toEqual(list.keys.slice(3));
    expect(await get(list, '?after=0&limit=100')).toEqual(list.keys);
  });

  it('before and after: strictly between, smallest first', async () => {
    expect(await get(list, `?after=${list.keys[0]}&before=${list.keys[4]}`)).toEqual(list.keys.slice(1, 4));
  });

  it('a bad limit, before or after is a 400 naming each', async () => {
    for (const limit of ['0', '101', 'many']) {
      const res = await api(app, 'GET', `${list.path}?limit=${limit}`, { token: list.user.token });
      expect(res.status).toBe(400);
      expect(Object.keys(res.body.errors as object)).toEqual(['limit']);
    }
    const res = await api(app, 'GET', `${list.path}?before=yesterday&after=-1`, { token: list.user.token });
    expect(res.status).toBe(400);
    expect(res.body.code).toBe('validation_error');
    expect(Object.keys(res.body.errors as object).sort()).toEqual(['after', 'before']);
  });
});

// API.md: members are "paginated by user id (`after`, `limit`)"; bans page the same way (README Decisions).
describe.each([
  ['members', (serverId: string) => addMember(serverId)],
  ['bans', (serverId: string) => addBan(serverId)],
])('GET /servers/{id}/%s: by user id, smallest first, `after` and `limit` only', (kind, add) => {
  let owner: TestUser;
  let path: string;
  let keys: string[];
  const userIds = async (query: string) => {
    const res = await api(app, 'GET', `${path}${query}`, { token: owner.token });
    expect(res.status).toBe(200);
    return (res.body as { user: { id: string } }[]).map((item) => item.user.id);
  };
  beforeAll(async () => {
    owner = await registerUser(app);
    const { server } = await createServerWithChannel(app.rt, owner.id);
    path = `/servers/${server.id}/${kind}`;
    const added = [];
    for (let i = 0; i < 5; i++) added.push(await add(server.id));
    keys = ascending(kind === 'members' ? [owner.id, ...added] : added);
  });

  it('answers the smallest keys first, with and without limit', async () => {
    expect(await userIds('')).toEqual(keys);
    expect(await userIds('?limit=2')).toEqual(keys.slice(0, 2));
  });

  it('after: larger keys only, smallest first', async () => {
    expect(await userIds(`?after=${keys[1]}`)).toEqual(keys.slice(2));
    expect(await userIds(`?after=${keys[0]}&limit=2`)).toEqual(keys.slice(1, 3));
    expect(await userIds(`?after=${keys[keys.length - 1]}`)).toEqual([]);
  });

  it('a bad limit or after, or a before, is a 400 naming each', async () => {
    for (const query of ['limit=0', 'limit=101', 'after=-1', `before=${keys[2]}`]) {
      const res = await api(app, 'GET', `${path}?${query}`, { token: owner.token });
      expect(res.status).toBe(400);
      expect(Object.keys(res.body.errors as object)).toEqual([query.split('=')[0]]);
    }
  });
});

async function addMember(serverId: string) {
  const user = await createUser(app.rt);
  await app.rt.models.Member.create({ server_id: serverId, user_id: user.id });
  await invalidate(app.rt, { servers: [serverId] });
  return user.id;
}

async function addBan(serverId: string) {
  const user = await createUser(app.rt);
  await app.rt.models.Ban.create({ server_id: serverId, user_id: user.id, reason: 'paged' });
  return user.id;
}

describe('the default limit', () => {
  it('GET /users/@me/servers answers 50 of 51 without `limit`; `after` reaches the rest', async () => {
    const user = await registerUser(app);
    const ids = [];
    for (let i = 0; i < 51; i++) ids.push((await createServerWithChannel(app.rt, user.id)).server.id);
    const keys = ascending(ids);
    const list = { path: '/users/@me/servers', user, keys };
    expect(await get(list, '')).toEqual([...keys].reverse().slice(0, 50));
    expect(await get(list, `?after=${keys[49]}`)).toEqual([keys[50]]);
  });
});

describe('a whole list by default', () => {
  it('GET /users/@me/sessions lists every live session (API.md), 51 of 51, until a page is asked for', async () => {
    const user = await registerUser(app);
    const row = await app.rt.models.User.findByPk(user.id);
    if (!row) throw new Error('registered user missing');
    for (let i = 0; i < 50; i++) await issueSession(app.rt, row, { ip: '127.0.0.1', userAgent: null });
    const live = await app.rt.models.Session.findAll({ where: { user_id: user.id, revoked_at: null } });
    expect(live).toHaveLength(51);
    const keys = ascending(live.map((s) => s.id));
    const list = { path: '/users/@me/sessions', user, keys };
    expect(await get(list, '')).toEqual([...keys].reverse());
    expect(await get(list, '?limit=100&before=0')).toEqual([]);
    expect(await get(list, `?after=${keys[0]}`)).toEqual(keys.slice(1, 51));
  });
});

import crypto from 'node:crypto';
import { useTestApp } from '../../helpers/app.js';
import { api } from '../../helpers/accounts.js';
import { testConfig } from '../../helpers/config.js';
import { connectGateway, type GatewayClient } from '../../helpers/gateway-client.js';
import { hashToken } from '../../../shared/auth/tokens.js';
import { Intent } from '../../../shared/intents.js';
import { as, person, world } from '../servers/membership-helpers.js';
import { addBot, asBot, makeApplication } from './helpers.js';

const clients: GatewayClient[] = [];
const app = useTestApp({
  workers: false,
  // One loopback address an operator allowed, for the accepted interactions_url (nothing listens
  // there and nothing here invokes a command); every other private address stays refused.
  config: testConfig({ applications: { max_per_user: 3 }, outbound: { allow_private: ['127.0.0.2/32'] } }),
});
afterAll(() => {
  for (const c of clients) c.close();
});

/** A fresh suffix: usernames stay taken across runs (the test database is kept). */
const tag = () => crypto.randomBytes(3).toString('hex');

function dropped(c: GatewayClient): Promise<string> {
  return new Promise((resolve) => {
    if (!c.socket.connected) return resolve('already');
    c.socket.once('disconnect', (reason) => resolve(reason));
  });
}

describe('creating an application', () => {
  it('answers with the application, its bot user and a token shown once (stored hashed)', async () => {
    const owner = await person(app);
    const name = `Dice Roller ${tag()}`;
    const res = await as(app, owner, 'POST', '/applications', { name, description: 'rolls' });
    expect(res.status).toBe(201);
    expect(res.body).toEqual({
      application: {
        id: expect.stringMatching(/^\d+$/),
        name,
        description: 'rolls',
        icon_url: null,
        owner_id: owner.id,
        bot: {
          id: res.body.bot.id,
          username: name.replace(/ /g, '_'),
          avatar_url: null,
          created_at: expect.any(Number),
          bot: true,
        },
        public_bot: true,
        intents: [],
        interactions_url: null,
        redirect_uris: [],
        created_at: expect.any(Number),
      },
      bot: expect.objectContaining({ id: expect.any(String), bot: true, email: null, mfa_enabled: false }),
      token: expect.stringMatching(/^[A-Za-z0-9_-]{43}$/),
    });
    const bot = await app.rt.models.User.findByPk(res.body.bot.id, { rejectOnEmpty: true });
    expect([bot.is_bot, bot.password_hash, bot.email]).toEqual([true, null, null]);
    const session = await app.rt.models.Session.findOne({ where: { user_id: bot.id } });
    expect(session?.kind).toBe('bot');
    expect(session?.token_hash.equals(hashToken(res.body.token))).toBe(true);
  });

  it('derives a unique username from the name (another bot of the same name gets a suffix)', async () => {
    const owner = await person(app);
    const t = tag();
    const first = await makeApplication(app, owner, `Ünïcode bot!! ${t}`);
    expect(first.username).toBe(`Unicode_bot_${t}`);
    const second = await makeApplication(app, owner, `Ünïcode bot!! ${t}`);
    expect(second.username).toMatch(new RegExp(`^Unicode_bot_${t}_[0-9a-f]{4}$`));
    expect(second.username.toLowerCase()).not.toBe(first.username.toLowerCase());
    const short = await makeApplication(app, await person(app), '!');
    expect(short.username).toMatch(/^bot(_[0-9a-f]{4})?$/);
  });

  it.each([
    ['no name', {}, 'name'],
    ['an empty name', { name: '' }, 'name'],
    ['a name over 80 characters', { name: 'x'.repeat(81) }, 'name'],
    ['a description over 400 characters', { name: 'ok', description: 'y'.repeat(401) }, 'description'],
  ])('refuses %s (400 naming the field)', async (_what, body, field) => {
    const owner = await person(app);
    const res = await as(app, owner, 'POST', '/applications', body);
    expect(res.status).toBe(400);
    expect(Object.keys(res.body.errors)).toEqual([field]);
    expect(await app.rt.models.Application.count({ where: { owner_id: owner.id } })).toBe(0);
  });

  it('limits applications per user (applications.max_per_user)', async () => {
    const owner = await person(app);
    for (let i = 0; i < 3; i++) await makeApplication(app, owner, `bot ${i}`);
    const res = await as(app, owner, 'POST', '/applications', { name: 'one too many' });
    expect([res.status, res.body.code]).toEqual([400, 'too_many_applications']);
    expect(await app.rt.models.Application.count({ where: { owner_id: owner.id } })).toBe(3);
  });

  it('takes the OAuth2 redirect URIs on creation and on PATCH, as the object lists them', async () => {
    const owner = await person(app);
    const badCreate = await as(app, owner, 'POST', '/applications', {
      name: `uris ${tag()}`,
      redirect_uris: ['https://ok.example/cb', 'http://example.com/cb'],
    });
    expect([badCreate.status, Object.keys(badCreate.body.errors)]).toEqual([400, ['redirect_uris.1']]);
    expect(await app.rt.models.Application.count({ where: { owner_id: owner.id } })).toBe(0);
    const created = await as(app, owner, 'POST', '/applications', {
      name: `uris ${tag()}`,
      redirect_uris: ['https://ok.example/cb'],
    });
    expect([created.status, created.body.application.redirect_uris]).toEqual([
      201,
      ['https://ok.example/cb'],
    ]);
    const appId = created.body.application.id as string;
    const patched = await as(app, owner, 'PATCH', `/applications/${appId}`, {
      redirect_uris: ['http://127.0.0.1:9/callback'],
    });
    expect([patched.status, patched.body.redirect_uris]).toEqual([200, ['http://127.0.0.1:9/callback']]);
    const badPatch = await as(app, owner, 'PATCH', `/applications/${appId}`, {
      name: 'renamed',
      redirect_uris: ['https://a.example/#frag'],
    });
    expect([badPatch.status, Object.keys(badPatch.body.errors)]).toEqual([400, ['redirect_uris.0']]);
    // Nothing changed; the OAuth2 client settings read the same list.
    const client = await as(app, owner, 'GET', `/applications/${appId}/oauth2`);
    expect(client.body.redirect_uris).toEqual(['http://127.0.0.1:9/callback']);
    expect((await as(app, owner, 'GET', `/applications/${appId}`)).body.name).toBe(
      created.body.application.name,
    );
  });

  it('needs a user token: 401 without one, 403 bots_not_allowed with a bot token', async () => {
    const bot = await makeApplication(app, await person(app));
    expect((await api(app, 'POST', '/applications', { body: { name: 'x' } })).status).toBe(401);
    const res = await asBot(app, bot.token, 'POST', '/applications', { name: 'x' });
    expect([res.status, res.body.code]).toEqual([403, 'bots_not_allowed']);
  });
});

describe('bot tokens', () => {
  it('work with `Bot` (GET /users/@me shows bot: true) and are refused with `Bearer`', async () => {
    const owner = await person(app);
    const bot = await makeApplication(app, owner);
    const me = await asBot(app, bot.token, 'GET', '/users/@me');
    expect(me.status).toBe(200);
    expect(me.body).toMatchObject({ id: bot.botId, username: bot.username, bot: true, email: null });
    const bearer = await api(app, 'GET', '/users/@me', { token: bot.token });
    expect([bearer.status, bearer.body.code]).toEqual([401, 'unauthorized']);
    // And a user token under `Bot` is refused too.
    expect((await asBot(app, owner.token, 'GET', '/users/@me')).status).toBe(401);
  });

  it('bot users show bot: true wherever users are presented, people do not', async () => {
    const owner = await person(app);
    const bot = await makeApplication(app, owner);
    const profile = await as(app, owner, 'GET', `/users/${bot.botId}`);
    expect(profile.body).toMatchObject({ id: bot.botId, bot: true });
    const human = await as(app, owner, 'GET', `/users/${owner.id}`);
    expect(human.body).not.toHaveProperty('bot');
    const w = await world(app);
    await addBot(app, w.owner, w.serverId, bot.appId).then((r) => expect(r.status).toBe(201));
    const members = await as(app, w.owner, 'GET', `/servers/${w.serverId}/members`);
    const byId = new Map(members.body.map((m: { user: { id: string } }) => [m.user.id, m.user]));
    expect(byId.get(bot.botId)).toMatchObject({ bot: true });
    expect(byId.get(w.owner.id)).not.toHaveProperty('bot');
  });

  it('a bot reads its own application at /applications/@me; a user gets 404', async () => {
    const owner = await person(app);
    const bot = await makeApplication(app, owner, 'Selfie');
    const mine = await asBot(app, bot.token, 'GET', '/applications/@me');
    expect(mine.status).toBe(200);
    expect(mine.body).toMatchObject({ id: bot.appId, name: 'Selfie', bot: { id: bot.botId, bot: true } });
    const user = await as(app, owner, 'GET', '/applications/@me');
    expect([user.status, user.body.code]).toEqual([404, 'unknown_application']);
  });

  it('regenerating revokes every earlier token: REST 401 and the connected gateway socket is dropped', async () => {
    const owner = await person(app);
    const bot = await makeApplication(app, owner);
    const socket = await connectGateway(app.origin, { token: bot.token, intents: Intent.SERVERS });
    clients.push(socket);
    const gone = dropped(socket);
    const res = await as(app, owner, 'POST', `/applications/${bot.appId}/bot/token`);
    expect(res.status).toBe(200);
    expect(res.body.token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(res.body.token).not.toBe(bot.token);
    expect(await gone).toBe('io server disconnect');
    const old = await asBot(app, bot.token, 'GET', '/users/@me');
    expect([old.status, old.body.code]).toEqual([401, 'unauthorized']);
    expect((await asBot(app, res.body.token, 'GET', '/users/@me')).body.id).toBe(bot.botId);
    const live = await app.rt.models.Session.count({ where: { user_id: bot.botId, revoked_at: null } });
    expect(live).toBe(1);
  });
});

describe('reading, updating and deleting', () => {
  it('lists only the caller’s applications, without tokens', async () => {
    const owner = await person(app);
    const a = await makeApplication(app, owner, 'A');
    const b = await makeApplication(app, owner, 'B');
    await makeApplication(app, await person(app), 'someone else’s');
    const res = await as(app, owner, 'GET', '/applications');
    expect(res.status).toBe(200);
    expect(res.body.map((x: { id: string }) => x.id)).toEqual([a.appId, b.appId]);
    expect(JSON.stringify(res.body)).not.toContain(a.token);
    const one = await as(app, owner, 'GET', `/applications/${a.appId}`);
    expect(one.body).toMatchObject({ id: a.appId, name: 'A', owner_id: owner.id });
  });

  it('anyone but the owner gets 404 unknown_application (read, update, delete, token, unknown id)', async () => {
    const owner = await person(app);
    const stranger = await person(app);
    const bot = await makeApplication(app, owner);
    const calls = [
      as(app, stranger, 'GET', `/applications/${bot.appId}`),
      as(app, stranger, 'PATCH', `/applications/${bot.appId}`, { name: 'mine now' }),
      as(app, stranger, 'DELETE', `/applications/${bot.appId}`),
      as(app, stranger, 'POST', `/applications/${bot.appId}/bot/token`),
      as(app, owner, 'GET', `/applications/${app.rt.snowflake.next()}`),
    ];
    for (const res of await Promise.all(calls))
      expect([res.status, res.body.code]).toEqual([404, 'unknown_application']);
    const stored = await app.rt.models.Application.findByPk(bot.appId, { rejectOnEmpty: true });
    expect(stored.name).toBe('Helper Bot');
    expect((await asBot(app, bot.token, 'GET', '/users/@me')).status).toBe(200);
    // The bot itself cannot manage its application either (user-only routes).
    const self = await asBot(app, bot.token, 'PATCH', `/applications/${bot.appId}`, { public_bot: false });
    expect([self.status, self.body.code]).toEqual([403, 'bots_not_allowed']);
  });

  it('updates fields and privileged intents (by name)', async () => {
    const owner = await person(app);
    const bot = await makeApplication(app, owner);
    // An address the instance allows (see beforeAll): PATCH vets it without connecting.
    const res = await as(app, owner, 'PATCH', `/applications/${bot.appId}`, {
      name: 'Renamed',
      description: 'new',
      icon_url: 'https://example.com/i.png',
      public_bot: false,
      interactions_url: 'http://127.0.0.2:9/interactions',
      intents: ['MESSAGE_CONTENT', 'SERVER_MEMBERS'],
    });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({
      name: 'Renamed',
      description: 'new',
      icon_url: 'https://example.com/i.png',
      public_bot: false,
      interactions_url: 'http://127.0.0.2:9/interactions',
      intents: ['SERVER_MEMBERS', 'MESSAGE_CONTENT'],
    });
    const stored = await app.rt.models.Application.findByPk(bot.appId, { rejectOnEmpty: true });
    expect(Number(stored.intents)).toBe(Intent.SERVER_MEMBERS | Intent.MESSAGE_CONTENT);
    const cleared = await as(app, owner, 'PATCH', `/applications/${bot.appId}`, {
      icon_url: null,
      interactions_url: null,
      intents: [],
    });
    expect(cleared.body).toMatchObject({ icon_url: null, interactions_url: null, intents: [] });
  });

  it.each([
    ['an unknown intent', { intents: ['SERVERS'] }, 'intents.0'],
    ['a duplicate intent', { intents: ['MESSAGE_CONTENT', 'MESSAGE_CONTENT'] }, 'intents.1'],
    ['a non-http interactions_url', { interactions_url: 'ftp://example.com/x' }, 'interactions_url'],
    ['a loopback interactions_url', { interactions_url: 'http://127.0.0.1:9/x' }, 'interactions_url'],
    ['a private interactions_url', { interactions_url: 'https://10.1.2.3/x' }, 'interactions_url'],
    [
      'a metadata interactions_url',
      { interactions_url: 'http://169.254.169.254/latest' },
      'interactions_url',
    ],
    ['an empty body', {}, 'body'],
  ])('refuses %s (400 naming it)', async (_what, body, field) => {
    const owner = await person(app);
    const bot = await makeApplication(app, owner);
    const res = await as(app, owner, 'PATCH', `/applications/${bot.appId}`, body);
    expect(res.status).toBe(400);
    expect(Object.keys(res.body.errors ?? {})).toContain(field);
    const stored = await app.rt.models.Application.findByPk(bot.appId, { rejectOnEmpty: true });
    expect(stored.interactions_url).toBeNull();
  });

  it('turning a privileged intent off drops the bot’s gateway connections', async () => {
    const owner = await person(app);
    const bot = await makeApplication(app, owner);
    await as(app, owner, 'PATCH', `/applications/${bot.appId}`, { intents: ['MESSAGE_CONTENT'] });
    const socket = await connectGateway(app.origin, {
      token: bot.token,
      intents: Intent.SERVERS | Intent.MESSAGE_CONTENT,
    });
    clients.push(socket);
    const gone = dropped(socket);
    await as(app, owner, 'PATCH', `/applications/${bot.appId}`, { intents: [] });
    expect(await gone).toBe('io server disconnect');
  });

  it('deleting removes the bot from its servers (with its managed role), ends its sessions and keeps its messages', async () => {
    const owner = await person(app);
    const name = `Doomed ${tag()}`;
    const bot = await makeApplication(app, owner, name);
    expect(bot.username).toBe(name.replace(/ /g, '_'));
    const w = await world(app);
    const added = await addBot(app, w.owner, w.serverId, bot.appId, '2048');
    expect(added.status).toBe(201);
    const roleId = added.body.role.id as string;
    const said = app.rt.snowflake.next();
    await app.rt.models.Message.create({
      id: said,
      channel_id: w.channelId,
      author_id: bot.botId,
      content: 'hello',
      created_at: new Date(),
    });
    const socket = await connectGateway(app.origin, { token: bot.token, intents: Intent.SERVERS });
    clients.push(socket);
    const gone = dropped(socket);

    const res = await as(app, owner, 'DELETE', `/applications/${bot.appId}`);
    expect(res.status).toBe(204);
    expect(await gone).toBe('io server disconnect');
    expect((await asBot(app, bot.token, 'GET', '/users/@me')).status).toBe(401);
    expect((await as(app, owner, 'GET', `/applications/${bot.appId}`)).status).toBe(404);
    expect(await app.rt.models.Member.count({ where: { user_id: bot.botId } })).toBe(0);
    expect(await app.rt.models.Role.findByPk(roleId)).toBeNull();
    const user = await app.rt.models.User.findByPk(bot.botId, { rejectOnEmpty: true });
    expect(user.disabled_at).not.toBeNull();
    expect(user.username).toBe(`deleted_bot_${bot.botId}`);
    // Its messages keep their author, and its name is free again.
    expect((await app.rt.models.Message.findByPk(said))?.author_id).toBe(bot.botId);
    const again = await makeApplication(app, owner, name);
    expect(again.username).toBe(bot.username);
  });
});

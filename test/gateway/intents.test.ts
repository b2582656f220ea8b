import type { DispatchFrame } from '../../shared/events/index.js';
import { Intent } from '../../shared/intents.js';
import type { MessageObject } from '../../shared/presenters/types.js';
import { api, type ApiResponse } from '../helpers/accounts.js';
import { useTestApp } from '../helpers/app.js';
import { configEnv, testConfig } from '../helpers/config.js';
import { refusalOf, type GatewayClient } from '../helpers/gateway-client.js';
import { spawnEntry, type RoleProcess } from '../helpers/processes.js';
import { addBot, asBot, makeApplication, setIntents, type TestBot } from '../api/applications/helpers.js';
import { as, person, world, type Person } from '../api/servers/membership-helpers.js';
import { connectTo } from './resume-helpers.js';

let gatewayB: RoleProcess;
let originB: string;
const clients: GatewayClient[] = [];

const app = useTestApp({ config: testConfig({ gateway: { resume_window_seconds: 30 } }) }, 60000);
beforeAll(async () => {
  gatewayB = spawnEntry('gateway/main.ts', { ...configEnv(app.config), PLEXICHAT_GATEWAY__PORT: '0' });
  originB = `http://127.0.0.1:${(await gatewayB.waitFor(/GATEWAY_LISTENING (\d+)/))[1]}`;
}, 60000);
afterAll(async () => {
  for (const c of clients) c.close();
  await gatewayB?.kill();
});

const connect = (auth: Record<string, unknown>, origin = app.origin, resuming = false) =>
  connectTo(clients, origin, auth, resuming);

/** Connects and resolves with the refusal the server sends. */
const refusal = (auth: Record<string, unknown>) => refusalOf(app.origin, auth);

interface Scene {
  owner: Person;
  serverId: string;
  channelId: string;
  bot: TestBot;
}

/** A server with its owner and a bot (whose application enabled `enabled`) added to it. */
async function scene(enabled: string[] = []): Promise<Scene> {
  const w = await world(app);
  const bot = await makeApplication(app, w.owner);
  if (enabled.length > 0) await setIntents(app, w.owner, bot.appId, enabled);
  const added = await addBot(app, w.owner, w.serverId, bot.appId);
  expect(added.status).toBe(201);
  return { ...w, bot };
}

async function say(who: Person, channelId: string, content: string): Promise<MessageObject> {
  const res = await as(app, who, 'POST', `/channels/${channelId}/messages`, { content });
  expect(res.status).toBe(200);
  return res.body as MessageObject;
}

/**
 * A SERVERS event published after everything before it: once a socket has it, it has every
 * earlier event it was going to get (one session's events arrive in publish order).
 */
async function barrier(s: Scene, ...sockets: GatewayClient[]): Promise<void> {
  const res = await as(app, s.owner, 'POST', `/servers/${s.serverId}/roles`, { name: 'barrier' });
  expect(res.status).toBe(201);
  for (const c of sockets) {
    await c.waitForFrames(1, (f) => f.t === 'ROLE_CREATE' && (f.d as { id: string }).id === res.body.id);
  }
}

const isMessage = (id: string) => (f: DispatchFrame) =>
  f.t === 'MESSAGE_CREATE' && (f.d as MessageObject).id === id;

const ofType = <K extends DispatchFrame['t']>(c: GatewayClient, t: K) =>
  c.frames.filter((f) => f.t === t) as DispatchFrame<K>[];

/** Sequence numbers are contiguous: filtered events are never numbered. */
function expectContiguous(c: GatewayClient): void {
  const seqs = c.frames.filter((f) => f.s > 0).map((f) => f.s);
  expect(seqs).toEqual(seqs.map((_s, i) => i + 1));
}

describe('the handshake', () => {
  it('refuses a bot with malformed intents, or asking for privileged ones not enabled', async () => {
    const s = await scene(['SERVER_MEMBERS']);
    const token = s.bot.token;
    for (const intents of ['lots', -1, 1.5, 1 << 20, '99999999999', { a: 1 }]) {
      expect((await refusal({ token, intents })).data?.code).toBe('invalid_intents');
    }
    const content = await refusal({ token, intents: Intent.SERVERS | Intent.MESSAGE_CONTENT });
    expect(content.data?.code).toBe('disallowed_intents');
    expect(content.message).toContain('MESSAGE_CONTENT');
    const presences = await refusal({ token, intents: Intent.SERVER_PRESENCES });
    expect(presences.data?.code).toBe('disallowed_intents');
    // What the application enabled is fine, as a number or a decimal string.
    const ok = await connect({ token, intents: String(Intent.SERVERS | Intent.SERVER_MEMBERS) });
    expect(ok.frames[0]?.t).toBe('READY');
    expect((ok.frames[0]?.d as { user: { bot: boolean } }).user.bot).toBe(true);
  });

  it('a bot connecting with auth {token} alone (API.md) gets every intent its application allows', async () => {
    const s = await scene(['SERVER_MEMBERS']);
    const bot = await connect({ token: s.bot.token });
    expect(bot.frames[0]?.t).toBe('READY');
    const joiner = await person(app);
    const code = (await as(app, s.owner, 'POST', `/channels/${s.channelId}/invites`, {})).body.code as string;
    expect((await as(app, joiner, 'POST', `/invites/${code}`)).status).toBe(200);
    // SERVER_MEMBERS (privileged, enabled) and SERVER_MESSAGES (unprivileged) both arrive...
    await bot.waitForFrames(
      1,
      (f) => f.t === 'SERVER_MEMBER_ADD' && (f.d as { user: { id: string } }).user.id === joiner.id,
    );
    const sent = await say(s.owner, s.channelId, 'hello bot');
    const [got] = await bot.waitForFrames(1, isMessage(sent.id));
    // ...but not MESSAGE_CONTENT, which the application never enabled.
    expect(got?.d).toMatchObject({ id: sent.id, content: '' });
    expectContiguous(bot);
  });

  it('people’s intents are ignored: they connect with any value and get everything', async () => {
    const s = await scene();
    const user = await connect({ token: s.owner.token, intents: 'nonsense' });
    const sent = await say(s.owner, s.channelId, 'for the owner');
    const [got] = await user.waitForFrames(1, isMessage(sent.id));
    expect(got?.d).toMatchObject({ content: 'for the owner' });
  });
});

describe('filtering by intent', () => {
  it('a bot without SERVER_MESSAGES gets no MESSAGE_CREATE while a user does', async () => {
    const s = await scene();
    const user = await connect({ token: s.owner.token });
    const bot = await connect({ token: s.bot.token, intents: Intent.SERVERS });
    const sent = await say(s.owner, s.channelId, 'not for the bot');
    await user.waitForFrames(1, isMessage(sent.id));
    await barrier(s, bot, user);
    expect(ofType(bot, 'MESSAGE_CREATE')).toEqual([]);
    expectContiguous(bot);
  });

  it('a bot without SERVERS still hears about itself (its SERVER_CREATE and SERVER_MEMBER_ADD)', async () => {
    const w = await world(app);
    const b = await makeApplication(app, w.owner);
    const bot = await connect({ token: b.token, intents: Intent.SERVER_MESSAGES });
    await addBot(app, w.owner, w.serverId, b.appId);
    await bot.waitForFrames(1, (f) => f.t === 'SERVER_CREATE');
    const [own] = await bot.waitForFrames(1, (f) => f.t === 'SERVER_MEMBER_ADD');
    expect(own?.d).toMatchObject({ user: { id: b.botId } });
    // ... but not the server's other events.
    const role = await as(app, w.owner, 'POST', `/servers/${w.serverId}/roles`, { name: 'unseen' });
    expect(role.status).toBe(201);
    const sent = await say(w.owner, w.channelId, 'seen through SERVER_MESSAGES');
    await bot.waitForFrames(1, isMessage(sent.id));
    expect(ofType(bot, 'ROLE_CREATE')).toEqual([]);
    expectContiguous(bot);
  });

  it('SERVER_MEMBERS: member events reach only bots that asked for them (and request_members needs it)', async () => {
    const s = await scene(['SERVER_MEMBERS']);
    const withMembers = await connect({
      token: s.bot.token,
      intents: Intent.SERVERS | Intent.SERVER_MEMBERS,
    });
    const other = await makeApplication(app, s.owner);
    await addBot(app, s.owner, s.serverId, other.appId);
    const without = await connect({ token: other.token, intents: Intent.SERVERS });
    const newcomer = await person(app);
    const invite = await as(app, s.owner, 'POST', `/channels/${s.channelId}/invites`, {});
    expect((await as(app, newcomer, 'POST', `/invites/${invite.body.code}`)).status).toBe(200);
    const [add] = await withMembers.waitForFrames(
      1,
      (f) => f.t === 'SERVER_MEMBER_ADD' && (f.d as { user: { id: string } }).user.id === newcomer.id,
    );
    expect(add?.d).toMatchObject({ server_id: s.serverId });
    await barrier(s, without, withMembers);
    expect(ofType(without, 'SERVER_MEMBER_ADD')).toEqual([]);
    expectContiguous(without);

    const refused = await without.command('request_members', { server_id: s.serverId });
    expect(refused).toMatchObject({ ok: false, code: 'missing_intent' });
    const listed = await withMembers.command('request_members', { server_id: s.serverId });
    expect(listed.ok).toBe(true);
    expect((listed.members as unknown[]).length).toBe(4);
    expect(listed.presences).toEqual([]);
  });
});

describe('MESSAGE_CONTENT', () => {
  it('without it a bot gets server messages blank, except those that mention it and its own', async () => {
    const s = await scene();
    const user = await connect({ token: s.owner.token });
    const bot = await connect({ token: s.bot.token, intents: Intent.SERVERS | Intent.SERVER_MESSAGES });
    const plain = await say(s.owner, s.channelId, 'secret **plans**');
    const mention = await say(s.owner, s.channelId, `<@${s.bot.botId}> roll a die`);
    const own = await asBot(app, s.bot.token, 'POST', `/channels/${s.channelId}/messages`, { content: '4' });
    expect(own.status).toBe(200);
    const ids = new Set([plain.id, mention.id, own.body.id as string]);
    const seen = await bot.waitForFrames(
      3,
      (f) => f.t === 'MESSAGE_CREATE' && ids.has((f.d as MessageObject).id),
    );
    const byId = new Map(seen.map((f) => [(f.d as MessageObject).id, f.d as MessageObject]));
    expect(byId.get(plain.id)).toMatchObject({
      id: plain.id,
      author_id: s.owner.id,
      content: '',
      content_html: '',
      embeds: [],
      attachments: [],
    });
    expect(byId.get(mention.id)).toMatchObject({
      content: `<@${s.bot.botId}> roll a die`,
      mentions: [s.bot.botId],
    });
    expect(byId.get(mention.id)?.content_html).not.toBe('');
    expect(byId.get(own.body.id)?.content).toBe('4');
    // People still get everything.
    const [forUser] = await user.waitForFrames(1, isMessage(plain.id));
    expect(forUser?.d).toMatchObject({ content: 'secret **plans**' });

    // REST reads follow the same rule.
    const history = await asBot(app, s.bot.token, 'GET', `/channels/${s.channelId}/messages`);
    const rest = new Map<string, MessageObject>(history.body.map((m: MessageObject) => [m.id, m]));
    expect(rest.get(plain.id)).toMatchObject({ content: '', content_html: '' });
    expect(rest.get(mention.id)?.content).toBe(`<@${s.bot.botId}> roll a die`);
    expect(rest.get(own.body.id)?.content).toBe('4');
    const one = await asBot(app, s.bot.token, 'GET', `/channels/${s.channelId}/messages/${plain.id}`);
    expect(one.body.content).toBe('');
    const forOwner = await as(app, s.owner, 'GET', `/channels/${s.channelId}/messages/${plain.id}`);
    expect(forOwner.body.content).toBe('secret **plans**');
    const search = await asBot(
      app,
      s.bot.token,
      'GET',
      `/servers/${s.serverId}/messages/search?content=plans`,
    );
    expect([search.status, search.body.code]).toEqual([403, 'missing_intent']);
  });

  it('embeds are blanked too (a webhook message with an embed)', async () => {
    const s = await scene();
    const bot = await connect({ token: s.bot.token, intents: Intent.SERVERS | Intent.SERVER_MESSAGES });
    const hook = await as(app, s.owner, 'POST', `/channels/${s.channelId}/webhooks`, { name: 'CI' });
    expect(hook.status).toBe(201);
    const executed: ApiResponse = await api(
      app,
      'POST',
      `/webhooks/${hook.body.id}/${hook.body.token}?wait=true`,
      {
        body: { content: 'build passed', embeds: [{ title: 'Build #12', description: 'green' }] },
      },
    );
    expect(executed.status).toBe(200);
    expect(executed.body.embeds).toHaveLength(1);
    const [frame] = await bot.waitForFrames(1, isMessage(executed.body.id));
    expect(frame?.d).toMatchObject({ content: '', embeds: [], webhook_id: hook.body.id });
  });

  it('DMs to the bot are whole; without DIRECT_MESSAGES they do not arrive at all', async () => {
    const s = await scene();
    const dmBot = await connect({
      token: s.bot.token,
      intents: Intent.SERVERS | Intent.SERVER_MESSAGES | Intent.DIRECT_MESSAGES,
    });
    const other = await makeApplication(app, s.owner);
    await addBot(app, s.owner, s.serverId, other.appId);
    const serverOnly = await connect({
      token: other.token,
      intents: Intent.SERVERS | Intent.SERVER_MESSAGES,
    });

    const dm = await as(app, s.owner, 'POST', '/users/@me/channels', { recipient_id: s.bot.botId });
    expect(dm.status).toBe(200);
    await dmBot.waitForFrames(
      1,
      (f) => f.t === 'CHANNEL_CREATE' && (f.d as { id: string }).id === dm.body.id,
    );
    const sent = await say(s.owner, dm.body.id, 'psst, a secret');
    const [got] = await dmBot.waitForFrames(1, isMessage(sent.id));
    expect(got?.d).toMatchObject({ content: 'psst, a secret' });

    const dm2 = await as(app, s.owner, 'POST', '/users/@me/channels', { recipient_id: other.botId });
    await serverOnly.waitForFrames(
      1,
      (f) => f.t === 'CHANNEL_CREATE' && (f.d as { id: string }).id === dm2.body.id,
    );
    const unheard = await say(s.owner, dm2.body.id, 'unheard');
    await barrier(s, serverOnly);
    expect(serverOnly.frames.filter(isMessage(unheard.id))).toEqual([]);
    // REST history of its own DM is whole as well.
    const history = await asBot(app, s.bot.token, 'GET', `/channels/${dm.body.id}/messages`);
    expect(history.body[0].content).toBe('psst, a secret');
  });

  it('with MESSAGE_CONTENT enabled on the application (and asked for), the bot gets content', async () => {
    const s = await scene(['MESSAGE_CONTENT']);
    const bot = await connect({
      token: s.bot.token,
      intents: Intent.SERVERS | Intent.SERVER_MESSAGES | Intent.MESSAGE_CONTENT,
    });
    const sent = await say(s.owner, s.channelId, 'visible to the bot');
    const [frame] = await bot.waitForFrames(1, isMessage(sent.id));
    expect(frame?.d).toMatchObject({ content: 'visible to the bot' });
    const rest = await asBot(app, s.bot.token, 'GET', `/channels/${s.channelId}/messages/${sent.id}`);
    expect(rest.body.content).toBe('visible to the bot');
  });
});

describe('resume', () => {
  it('a resumed session keeps its intents, on another gateway process too', async () => {
    const s = await scene();
    const first = await connect({ token: s.bot.token, intents: Intent.SERVERS });
    const user = await connect({ token: s.owner.token });
    const ready = first.frames[0] as DispatchFrame<'READY'>;
    // Everything of the scene's set-up in first (under load an event of it can follow READY),
    // or it would be replayed ahead of ROLE_CREATE below. A rename, not barrier(): a role of its
    // own would move up when the next one is created, adding a ROLE_UPDATE to the replay.
    const renamed = await as(app, s.owner, 'PATCH', `/servers/${s.serverId}`, { name: 'renamed' });
    expect(renamed.status).toBe(200);
    await first.waitForFrames(
      1,
      (f) => f.t === 'SERVER_UPDATE' && (f.d as { name: string }).name === 'renamed',
    );
    const seq = first.lastSeq();
    first.close();
    await new Promise((resolve) => setTimeout(resolve, 100));

    await say(s.owner, s.channelId, 'while away');
    const role = await as(app, s.owner, 'POST', `/servers/${s.serverId}/roles`, { name: 'while away' });
    await user.waitForFrames(1, (f) => f.t === 'ROLE_CREATE' && (f.d as { id: string }).id === role.body.id);
    // It asks for more this time: the session keeps what it was opened with.
    const resumed = await connect(
      {
        token: s.bot.token,
        intents: Intent.SERVERS | Intent.SERVER_MESSAGES,
        session_id: ready.d.session_id,
        seq,
      },
      originB,
      true,
    );
    expect(resumed.frames.map((f) => f.t)).toEqual(['ROLE_CREATE', 'RESUMED']);
    expect(resumed.frames.map((f) => f.s)).toEqual([seq + 1, seq + 2]);

    await say(s.owner, s.channelId, 'after the resume');
    await barrier(s, resumed);
    expect(ofType(resumed, 'MESSAGE_CREATE')).toEqual([]);
  });
});

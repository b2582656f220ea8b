import type { DispatchFrame } from '../../../shared/events/index.js';
import type { MessageObject } from '../../../shared/presenters/types.js';
import { useTestApp } from '../../helpers/app.js';
import { testConfig } from '../../helpers/config.js';
import type { GatewayClient } from '../../helpers/gateway-client.js';
import {
  Permission,
  addChannel,
  as,
  denyIn,
  useGateways,
  makeWorld,
  member,
  send,
  type World,
} from '../messages/pipeline-helpers.js';
import { makeRole, person } from '../servers/membership-helpers.js';
import {
  asBot,
  botInWorld,
  callback,
  connectBot,
  editOriginal,
  followup,
  invoke,
  nextInteraction,
  registerCommands,
  type TestBot,
} from './interaction-helpers.js';

const DEADLINE_MS = 4000;

const bots: GatewayClient[] = [];
const app = useTestApp({ config: testConfig({ interactions: { deadline_ms: DEADLINE_MS } }) });
const gw = useGateways(app);
afterAll(() => {
  for (const b of bots) b.close();
});

const COMMANDS = [
  { name: 'ping', description: 'Pong' },
  {
    name: 'greet',
    description: 'Greets someone',
    options: [
      { type: 'user', name: 'who', description: 'Whom', required: true },
      {
        type: 'string',
        name: 'style',
        description: 'How',
        choices: [
          { name: 'Warm', value: 'warm' },
          { name: 'Cold', value: 'cold' },
        ],
      },
      { type: 'integer', name: 'times', description: 'How often', min_value: 1, max_value: 5 },
      { type: 'number', name: 'volume', description: 'How loud', min_value: 0, max_value: 1 },
      { type: 'boolean', name: 'shout', description: 'Shout it' },
      { type: 'string', name: 'note', description: 'A note', min_length: 2, max_length: 10 },
      { type: 'channel', name: 'where', description: 'Where' },
      { type: 'role', name: 'as_role', description: 'As whom' },
    ],
  },
];

interface Setup {
  w: World;
  bot: TestBot;
  botGw: GatewayClient;
}

/** A server with a bot in it (commands registered, connected to the gateway). */
async function setup(): Promise<Setup> {
  const w = await makeWorld(app);
  const bot = await botInWorld(app, w);
  await registerCommands(app, bot, COMMANDS);
  const botGw = await connectBot(app, bot);
  bots.push(botGw);
  return { w, bot, botGw };
}

/** Messages stored in the world's channel other than system notices (the bot's member_join). */
const answers = (w: World) =>
  app.rt.models.Message.count({ where: { channel_id: w.channelId, type: 'default' } });

const messageCreate = (id: string) => (f: DispatchFrame) =>
  f.t === 'MESSAGE_CREATE' && (f.d as MessageObject).id === id;
const contentIs = (content: string) => (f: DispatchFrame) =>
  f.t === 'MESSAGE_CREATE' && (f.d as MessageObject).content === content;

describe('slash commands over the gateway', () => {
  it('round trip: the bot gets INTERACTION_CREATE, answers through the callback, the answer is a message with `interaction`', async () => {
    const { w, bot, botGw } = await setup();
    const friend = await member(app, w.serverId);
    const role = await makeRole(app, w.serverId, { position: 1, name: 'crew' });
    const watcher = await gw.connect(friend);

    const invoking = invoke(app, w.owner, {
      command: 'greet',
      channel_id: w.channelId,
      options: [
        { name: 'who', value: friend.id },
        { name: 'style', value: 'warm' },
        { name: 'times', value: 3 },
        { name: 'volume', value: 0.5 },
        { name: 'shout', value: true },
        { name: 'where', value: w.channelId },
        { name: 'as_role', value: role.id },
      ],
    });
    const interaction = await nextInteraction(botGw, 'greet');
    expect(interaction).toEqual({
      id: expect.any(String),
      application_id: bot.appId,
      type: 'command',
      token: expect.stringMatching(/^[A-Za-z0-9_-]{43}$/),
      data: {
        id: expect.any(String),
        name: 'greet',
        options: [
          { name: 'who', type: 'user', value: friend.id },
          { name: 'style', type: 'string', value: 'warm' },
          { name: 'times', type: 'integer', value: 3 },
          { name: 'volume', type: 'number', value: 0.5 },
          { name: 'shout', type: 'boolean', value: true },
          { name: 'where', type: 'channel', value: w.channelId },
          { name: 'as_role', type: 'role', value: role.id },
        ],
        resolved: {
          users: { [friend.id]: expect.objectContaining({ id: friend.id, username: friend.username }) },
          members: { [friend.id]: expect.objectContaining({ server_id: w.serverId, roles: [] }) },
          channels: {
            [w.channelId]: expect.objectContaining({
              id: w.channelId,
              name: 'general',
              permission_overwrites: [],
            }),
          },
          roles: { [role.id]: expect.objectContaining({ id: role.id, name: 'crew' }) },
        },
      },
      server_id: w.serverId,
      channel_id: w.channelId,
      member: expect.objectContaining({
        server_id: w.serverId,
        user: expect.objectContaining({ id: w.owner.id }),
      }),
      user: expect.objectContaining({ id: w.owner.id }),
      created_at: expect.any(Number),
      respond_by: expect.any(Number),
    });

    const answered = await callback(app, interaction, {
      type: 'message',
      data: { content: `Hello <@${friend.id}>!` },
    });
    expect(answered.status).toBe(204);
    const res = await invoking;
    expect(res.status).toBe(200);
    expect(res.body).toEqual({
      id: interaction.id,
      status: 'message',
      message: expect.objectContaining({
        channel_id: w.channelId,
        author_id: bot.botId,
        content: `Hello <@${friend.id}>!`,
        mentions: [friend.id],
        interaction: { id: interaction.id, name: 'greet', user_id: w.owner.id },
      }),
    });
    expect(res.body.message).not.toHaveProperty('flags');

    const [frame] = await watcher.waitForFrames(1, messageCreate(res.body.message.id));
    expect((frame?.d as MessageObject).interaction).toEqual({
      id: interaction.id,
      name: 'greet',
      user_id: w.owner.id,
    });
    const history = await as(app, friend, 'GET', `/channels/${w.channelId}/messages`);
    expect(history.body[0]).toMatchObject({ id: res.body.message.id, interaction: { id: interaction.id } });
  });

  it('an ephemeral answer reaches only the invoking user and is never stored', async () => {
    const { w, botGw } = await setup();
    const other = await member(app, w.serverId);
    const invokerGw = await gw.connect(w.owner);
    const otherGw = await gw.connect(other);

    const invoking = invoke(app, w.owner, { command: 'ping', channel_id: w.channelId });
    const interaction = await nextInteraction(botGw, 'ping');
    expect(
      (await callback(app, interaction, { type: 'message', data: { content: 'only you', ephemeral: true } }))
        .status,
    ).toBe(204);
    const res = await invoking;
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({
      status: 'ephemeral',
      message: { content: 'only you', flags: ['ephemeral'], interaction: { id: interaction.id } },
    });
    const id = res.body.message.id as string;
    const [mine] = await invokerGw.waitForFrames(1, messageCreate(id));
    expect(mine?.d).toMatchObject({ flags: ['ephemeral'], channel_id: w.channelId });

    // A message sent after it reaches the other member; the ephemeral one never did.
    await send(app, w.owner, w.channelId, 'marker after ephemeral');
    await otherGw.waitForFrames(1, contentIs('marker after ephemeral'));
    expect(otherGw.frames.some(messageCreate(id))).toBe(false);
    const history = await as(app, w.owner, 'GET', `/channels/${w.channelId}/messages`);
    // (The other message is the bot's member_join notice.)
    expect(
      history.body.filter((m: MessageObject) => m.type === 'default').map((m: MessageObject) => m.content),
    ).toEqual(['marker after ephemeral']);
    expect(await app.rt.models.Message.findByPk(id)).toBeNull();
  });

  it('deferred: the user sees "deferred"; the answer follows through PATCH /original and /followup', async () => {
    const { w, bot, botGw } = await setup();
    const watcher = await gw.connect(await member(app, w.serverId));

    const invoking = invoke(app, w.owner, { command: 'ping', channel_id: w.channelId });
    const interaction = await nextInteraction(botGw, 'ping');
    // Nothing to follow up before the first answer.
    const early = await followup(app, interaction, { content: 'too soon' });
    expect([early.status, early.body.code]).toEqual([400, 'interaction_not_acknowledged']);
    expect((await callback(app, interaction, { type: 'deferred' })).status).toBe(204);
    expect((await invoking).body).toEqual({ id: interaction.id, status: 'deferred' });

    // The first edit of the original after a deferral posts it.
    const original = await editOriginal(app, interaction, { content: 'thought about it' });
    expect(original.status).toBe(200);
    expect(original.body).toMatchObject({
      author_id: bot.botId,
      content: 'thought about it',
      interaction: { id: interaction.id },
    });
    await watcher.waitForFrames(1, messageCreate(original.body.id));

    const more = await followup(app, interaction, {
      content: 'one more thing',
      embeds: [{ title: 'Details' }],
    });
    expect(more.status).toBe(200);
    expect(more.body).toMatchObject({
      content: 'one more thing',
      embeds: [{ type: 'rich', title: 'Details' }],
    });
    await watcher.waitForFrames(1, messageCreate(more.body.id));

    // Later edits change the original, not the follow-up.
    const edited = await editOriginal(app, interaction, { content: 'thought harder' });
    expect(edited.body).toMatchObject({
      id: original.body.id,
      content: 'thought harder',
      edited_at: expect.any(Number),
    });
    await watcher.waitForFrames(
      1,
      (f) => f.t === 'MESSAGE_UPDATE' && (f.d as MessageObject).id === original.body.id,
    );
    const stored = await app.rt.models.Message.findAll({
      where: { channel_id: w.channelId, type: 'default' },
      order: [['id', 'ASC']],
    });
    expect(stored.map((m) => [m.content, m.interaction?.id])).toEqual([
      ['thought harder', interaction.id],
      ['one more thing', interaction.id],
    ]);
  });

  it('an ephemeral deferral: follow-ups and edits reach only the invoker', async () => {
    const { w, botGw } = await setup();
    const invokerGw = await gw.connect(w.owner);
    const invoking = invoke(app, w.owner, { command: 'ping', channel_id: w.channelId });
    const interaction = await nextInteraction(botGw, 'ping');
    await callback(app, interaction, { type: 'deferred', data: { ephemeral: true } });
    expect((await invoking).body.status).toBe('deferred');
    const posted = await editOriginal(app, interaction, { content: 'secret answer' });
    expect(posted.body).toMatchObject({ content: 'secret answer', flags: ['ephemeral'] });
    await invokerGw.waitForFrames(1, messageCreate(posted.body.id));
    const edited = await editOriginal(app, interaction, { content: 'secret answer, edited' });
    expect(edited.body).toMatchObject({
      id: posted.body.id,
      content: 'secret answer, edited',
      flags: ['ephemeral'],
    });
    await invokerGw.waitForFrames(
      1,
      (f) => f.t === 'MESSAGE_UPDATE' && (f.d as MessageObject).id === posted.body.id,
    );
    expect(await answers(w)).toBe(0);
  });

  it('the deadline: the user gets 504 interaction_timeout and a late answer is refused', async () => {
    const { w, botGw } = await setup();
    const invoking = invoke(app, w.owner, { command: 'ping', channel_id: w.channelId });
    const interaction = await nextInteraction(botGw, 'ping');
    const res = await invoking;
    expect(res.status).toBe(504);
    expect(res.body).toMatchObject({ code: 'interaction_timeout', deadline_ms: DEADLINE_MS });
    const late = await callback(app, interaction, { type: 'message', data: { content: 'sorry, late' } });
    expect([late.status, late.body.code]).toEqual([410, 'interaction_expired']);
    const lateFollowup = await followup(app, interaction, { content: 'still late' });
    expect([lateFollowup.status, lateFollowup.body.code]).toEqual([410, 'interaction_expired']);
    expect(await answers(w)).toBe(0);
  });

  it('the token is the credential: wrong or unknown is 404; a second first answer is refused', async () => {
    const { w, botGw } = await setup();
    const invoking = invoke(app, w.owner, { command: 'ping', channel_id: w.channelId });
    const interaction = await nextInteraction(botGw, 'ping');
    const body = { type: 'message', data: { content: 'first' } };
    const wrong = await callback(app, { id: interaction.id, token: 'x'.repeat(43) }, body);
    expect([wrong.status, wrong.body.code]).toEqual([404, 'unknown_interaction']);
    const unknown = await callback(app, { id: app.rt.snowflake.next(), token: interaction.token }, body);
    expect([unknown.status, unknown.body.code]).toEqual([404, 'unknown_interaction']);
    const bad = await callback(app, interaction, { type: 'message', data: {} });
    expect([bad.status, bad.body.errors]).toEqual([400, { 'data.content': 'content or embeds is required' }]);
    // An empty embeds list is no embed: still nothing to answer with.
    const noEmbeds = await callback(app, interaction, { type: 'message', data: { embeds: [] } });
    expect([noEmbeds.status, Object.keys(noEmbeds.body.errors)]).toEqual([400, ['data.content']]);

    expect((await callback(app, interaction, body)).status).toBe(204);
    const again = await callback(app, interaction, { type: 'deferred' });
    expect([again.status, again.body.code]).toEqual([409, 'interaction_already_acknowledged']);
    expect((await invoking).body).toMatchObject({ status: 'message', message: { content: 'first' } });
    expect(await answers(w)).toBe(1);
  });

  it('takes Discord’s callback types too: 4 answers with a message, 5 defers', async () => {
    const { w, botGw } = await setup();
    const invoking = invoke(app, w.owner, { command: 'ping', channel_id: w.channelId });
    const interaction = await nextInteraction(botGw, 'ping');
    const bad = await callback(app, interaction, { type: 3 });
    expect([bad.status, Object.keys(bad.body.errors)]).toEqual([400, ['type']]);
    expect((await callback(app, interaction, { type: 4, data: { content: 'pong as 4' } })).status).toBe(204);
    expect((await invoking).body).toMatchObject({ status: 'message', message: { content: 'pong as 4' } });

    const deferring = invoke(app, w.owner, { command: 'ping', channel_id: w.channelId });
    const second = await nextInteraction(botGw, 'ping');
    expect((await callback(app, second, { type: 5 })).status).toBe(204);
    expect((await deferring).body).toEqual({ id: second.id, status: 'deferred' });
  });
});

describe('invoking: checks before anything reaches the bot', () => {
  let s: Setup;
  beforeAll(async () => {
    s = await setup();
  });

  it('checks every option against its definition, naming options.<name>', async () => {
    const { w } = s;
    const friend = await member(app, w.serverId);
    const stranger = await person(app);
    const elsewhere = await makeWorld(app);
    const foreignRole = await makeRole(app, elsewhere.serverId, { position: 1 });
    const hidden = await addChannel(app, w, 'hidden');
    const user = await member(app, w.serverId);
    await denyIn(app, w, hidden, user, Permission.VIEW_CHANNEL);

    const who = { name: 'who', value: friend.id };
    const cases: [unknown[] | Record<string, unknown>, string][] = [
      [[who, { name: 'nope', value: 1 }], 'options.nope'],
      [[], 'options.who'],
      [[who, who], 'options.who'],
      [[who, { name: 'times', value: 'three' }], 'options.times'],
      [[who, { name: 'times', value: 2.5 }], 'options.times'],
      [[who, { name: 'times', value: 9 }], 'options.times'],
      [[who, { name: 'volume', value: -0.1 }], 'options.volume'],
      [[who, { name: 'shout', value: 'yes' }], 'options.shout'],
      [[who, { name: 'style', value: 'lukewarm' }], 'options.style'],
      [[who, { name: 'note', value: 'x' }], 'options.note'],
      [[who, { name: 'note', value: 'far too long a note' }], 'options.note'],
      [[{ name: 'who', value: 'not-an-id' }], 'options.who'],
      [[{ name: 'who', value: stranger.id }], 'options.who'],
      [[who, { name: 'where', value: elsewhere.channelId }], 'options.where'],
      [[who, { name: 'where', value: hidden }], 'options.where'],
      [[who, { name: 'as_role', value: foreignRole.id }], 'options.as_role'],
      // The same options as a name -> value map.
      [{ who: friend.id, nope: 1 }, 'options.nope'],
      [{ who: friend.id, times: 9 }, 'options.times'],
      [{ who: stranger.id }, 'options.who'],
    ];
    for (const [options, field] of cases) {
      const res = await invoke(app, user, { command: 'greet', channel_id: w.channelId, options });
      expect([field, res.status, res.body.code]).toEqual([field, 400, 'validation_error']);
      expect([field, Object.keys(res.body.errors)]).toEqual([field, [field]]);
    }
    // None of them reached the bot.
    expect(s.botGw.frames.some((f) => f.t === 'INTERACTION_CREATE')).toBe(false);
  });

  it('needs USE_APPLICATION_COMMANDS and a visible server channel; bots cannot invoke', async () => {
    const { w, bot } = s;
    const user = await member(app, w.serverId);
    const noCommands = await addChannel(app, w, 'no-commands');
    await denyIn(app, w, noCommands, user, Permission.USE_APPLICATION_COMMANDS);
    const denied = await invoke(app, user, { command: 'ping', channel_id: noCommands });
    expect([denied.status, denied.body.code, denied.body.permission]).toEqual([
      403,
      'missing_permission',
      'USE_APPLICATION_COMMANDS',
    ]);

    const secret = await addChannel(app, w, 'secret');
    await denyIn(app, w, secret, user, Permission.VIEW_CHANNEL);
    const invisible = await invoke(app, user, { command: 'ping', channel_id: secret });
    expect([invisible.status, invisible.body.code]).toEqual([404, 'unknown_channel']);
    const outsider = await invoke(app, await person(app), { command: 'ping', channel_id: w.channelId });
    expect([outsider.status, outsider.body.code]).toEqual([404, 'unknown_channel']);

    const dm = await as(app, user, 'POST', '/users/@me/channels', { recipient_id: w.owner.id });
    expect(dm.status).toBe(200);
    const inDm = await invoke(app, user, { command: 'ping', channel_id: dm.body.id });
    expect(inDm.status).toBe(400);
    expect(inDm.body.errors).toHaveProperty('channel_id');

    const byBot = await asBot(app, bot, 'POST', '/interactions', {
      command: 'ping',
      channel_id: w.channelId,
    });
    expect([byBot.status, byBot.body.code]).toEqual([403, 'bot_not_allowed']);
    expect(s.botGw.frames.some((f) => f.t === 'INTERACTION_CREATE')).toBe(false);
  });

  it('resolves names: unknown 404, the same name in two applications needs application_id, server commands win', async () => {
    const w = await makeWorld(app);
    const alpha = await botInWorld(app, w, 'Alpha');
    const beta = await botInWorld(app, w, 'Beta');
    await registerCommands(app, alpha, [{ name: 'ping', description: 'Alpha pong' }]);
    const [localPing] = await registerCommands(
      app,
      alpha,
      [{ name: 'ping', description: 'Local pong' }],
      w.serverId,
    );
    await registerCommands(app, beta, [
      { name: 'ping', description: 'Beta pong' },
      { name: 'roll', description: 'Roll' },
    ]);
    const alphaGw = await connectBot(app, alpha);
    bots.push(alphaGw);

    const unknown = await invoke(app, w.owner, { command: 'nothing', channel_id: w.channelId });
    expect([unknown.status, unknown.body.code]).toEqual([404, 'unknown_command']);
    const notHere = await invoke(app, w.owner, {
      command: 'roll',
      channel_id: w.channelId,
      application_id: alpha.appId,
    });
    expect(notHere.body.code).toBe('unknown_command');
    const ambiguous = await invoke(app, w.owner, { command: 'ping', channel_id: w.channelId });
    expect(ambiguous.status).toBe(400);
    expect(Object.keys(ambiguous.body.errors)).toEqual(['application_id']);

    const invoking = invoke(app, w.owner, {
      command: 'ping',
      channel_id: w.channelId,
      application_id: alpha.appId,
    });
    const interaction = await nextInteraction(alphaGw, 'ping');
    expect(interaction.data.id).toBe(localPing?.id);
    await callback(app, interaction, { type: 'message', data: { content: 'local pong' } });
    expect((await invoking).body.message.content).toBe('local pong');
  });
});

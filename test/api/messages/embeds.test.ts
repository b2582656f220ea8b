import { useTestApp } from '../../helpers/app.js';
import { api, registerUser, type TestUser } from '../../helpers/accounts.js';
import { connectGateway, type GatewayClient } from '../../helpers/gateway-client.js';
import { sendForm } from '../../helpers/media.js';
import { addBot, asBot, makeApplication } from '../applications/helpers.js';

const clients: GatewayClient[] = [];
const app = useTestApp();
afterAll(() => {
  for (const c of clients) c.close();
});

const EMBED_LINKS = 1n << 14n;
const SEND_MESSAGES = 1n << 11n;

interface World {
  owner: TestUser;
  member: TestUser;
  serverId: string;
  channelId: string;
}

async function world(): Promise<World> {
  const owner = await registerUser(app);
  const member = await registerUser(app);
  const server = await api(app, 'POST', '/servers', { token: owner.token, body: { name: 'embeds' } });
  const channels = await api(app, 'GET', `/servers/${server.body.id}/channels`, { token: owner.token });
  const channelId = channels.body[0].id as string;
  const invite = await api(app, 'POST', `/channels/${channelId}/invites`, { token: owner.token, body: {} });
  expect((await api(app, 'POST', `/invites/${invite.body.code}`, { token: member.token })).status).toBe(200);
  return { owner, member, serverId: server.body.id, channelId };
}

const send = (w: World, user: TestUser, body: Record<string, unknown>) =>
  api(app, 'POST', `/channels/${w.channelId}/messages`, { token: user.token, body });

const card = {
  title: 'Release 2.0',
  description: 'What changed',
  url: 'https://example.com/releases/2.0',
  color: 0x33aa55,
  fields: [{ name: 'Breaking', value: 'none' }],
};

describe('embeds on ordinary messages', () => {
  it('stores rich embeds without content, answers and emits them like a webhook’s', async () => {
    const w = await world();
    const c = await connectGateway(app.origin, { token: w.owner.token });
    clients.push(c);
    const res = await send(w, w.member, { embeds: [card, { description: 'second' }] });
    expect(res.status).toBe(200);
    expect(res.body.content).toBe('');
    expect(res.body.embeds).toEqual([
      { type: 'rich', ...card, fields: [{ name: 'Breaking', value: 'none', inline: false }] },
      { type: 'rich', description: 'second' },
    ]);
    // This message's frame: the member's join notice may arrive after the client connected.
    const [frame] = await c.waitForFrames(
      1,
      (f) => f.t === 'MESSAGE_CREATE' && (f.d as { id: string }).id === res.body.id,
    );
    expect(frame?.d).toEqual(res.body);
    const history = await api(app, 'GET', `/channels/${w.channelId}/messages`, { token: w.owner.token });
    expect(history.body[0].embeds).toEqual(res.body.embeds);
    // An edit changes the content and keeps the embeds.
    const edited = await api(app, 'PATCH', `/channels/${w.channelId}/messages/${res.body.id}`, {
      token: w.member.token,
      body: { content: 'now with words' },
    });
    expect(edited.status).toBe(200);
    expect(edited.body.embeds).toEqual(res.body.embeds);
  });

  it('validates embeds with the webhook rules, naming the field', async () => {
    const w = await world();
    const eleven = Array.from({ length: 11 }, (_, i) => ({ title: `t${i}` }));
    const tooMany = await send(w, w.member, { content: 'x', embeds: eleven });
    expect(tooMany.status).toBe(400);
    expect(Object.keys(tooMany.body.errors)).toEqual(['embeds']);
    const badUrl = await send(w, w.member, { embeds: [{ title: 'x', url: 'javascript:alert(1)' }] });
    expect(badUrl.status).toBe(400);
    expect(Object.keys(badUrl.body.errors)).toEqual(['embeds.0.url']);
    const emptyEmbed = await send(w, w.member, { embeds: [{ color: 1 }] });
    expect(emptyEmbed.status).toBe(400);
    expect(Object.keys(emptyEmbed.body.errors)[0]).toMatch(/^embeds\.0/);
    const longTitle = await send(w, w.member, { embeds: [{ title: 'x'.repeat(257) }] });
    expect(longTitle.status).toBe(400);
    expect(Object.keys(longTitle.body.errors)).toEqual(['embeds.0.title']);
    // Neither content nor embeds: content is required, as before.
    const nothing = await send(w, w.member, { embeds: [] });
    expect(nothing.status).toBe(400);
    expect(Object.keys(nothing.body.errors)).toEqual(['content']);
    expect(await app.rt.models.Message.count({ where: { channel_id: w.channelId, type: 'default' } })).toBe(
      0,
    );
  });

  it('needs EMBED_LINKS for embeds, but not for plain text', async () => {
    const w = await world();
    const denied = await api(app, 'PUT', `/channels/${w.channelId}/permissions/${w.serverId}`, {
      token: w.owner.token,
      body: { type: 'role', allow: '0', deny: String(EMBED_LINKS) },
    });
    expect(denied.status).toBeLessThan(300);
    const refused = await send(w, w.member, { content: 'look', embeds: [card] });
    expect(refused.status).toBe(403);
    expect(refused.body).toMatchObject({ code: 'missing_permission', permission: 'EMBED_LINKS' });
    expect((await send(w, w.member, { content: 'plain is fine' })).status).toBe(200);
    // The owner has every permission.
    expect((await send(w, w.owner, { embeds: [card] })).status).toBe(200);
  });

  it('takes embeds in a multipart payload_json', async () => {
    const w = await world();
    const res = await sendForm(app, 'POST', `/channels/${w.channelId}/messages`, w.member, [
      { field: 'payload_json', value: JSON.stringify({ embeds: [{ title: 'from a form' }] }) },
      { filename: 'notes.txt', type: 'text/plain', data: Buffer.from('hello') },
    ]);
    expect(res.status).toBe(200);
    expect(res.body.embeds).toEqual([{ type: 'rich', title: 'from a form' }]);
    expect(res.body.attachments).toHaveLength(1);
    const bad = await sendForm(app, 'POST', `/channels/${w.channelId}/messages`, w.member, [
      { field: 'payload_json', value: JSON.stringify({ embeds: [{ title: 'x', color: -1 }] }) },
    ]);
    expect(bad.status).toBe(400);
    expect(Object.keys(bad.body.errors)).toEqual(['embeds.0.color']);
  });

  it('lets a bot send embeds (with EMBED_LINKS from its managed role)', async () => {
    const w = await world();
    const bot = await makeApplication(app, w.owner, 'Embedder');
    const added = await addBot(app, w.owner, w.serverId, bot.appId, String(SEND_MESSAGES | EMBED_LINKS));
    expect(added.status).toBeLessThan(300);
    const res = await asBot(app, bot.token, 'POST', `/channels/${w.channelId}/messages`, {
      content: 'build finished',
      embeds: [card],
    });
    expect(res.status).toBe(200);
    expect(res.body.author_id).toBe(bot.botId);
    expect(res.body.embeds).toHaveLength(1);
    expect(res.body.embeds[0]).toMatchObject({ type: 'rich', title: card.title });
  });
});

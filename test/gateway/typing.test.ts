import { api, registerUser, type TestUser } from '../helpers/accounts.js';
import { useTestApp } from '../helpers/app.js';
import { connectGateway, type GatewayClient } from '../helpers/gateway-client.js';
import { addMember, makeServer } from '../api/servers/helpers.js';

const clients: GatewayClient[] = [];

const app = useTestApp();

afterAll(() => {
  for (const c of clients) c.close();
});

async function connect(user: TestUser): Promise<GatewayClient> {
  const c = await connectGateway(app.origin, { token: user.token });
  clients.push(c);
  return c;
}

async function channelWithTwo() {
  const owner = await registerUser(app);
  const member = await registerUser(app);
  const { serverId, generalId } = await makeServer(app, owner);
  await addMember(app, serverId, member.id);
  return { owner, member, serverId, channelId: generalId };
}

describe('typing', () => {
  /** The TYPING_START frames `watching` got, once a later message proves every earlier frame arrived. */
  async function typingFramesSeen(watching: GatewayClient, author: TestUser, channelId: string) {
    const sent = await api(app, 'POST', `/channels/${channelId}/messages`, {
      token: author.token,
      body: { content: 'after typing' },
    });
    expect(sent.status).toBe(200);
    await watching.waitForFrames(
      1,
      (f) => f.t === 'MESSAGE_CREATE' && (f.d as { id: string }).id === sent.body.id,
    );
    return watching.frames.filter((f) => f.t === 'TYPING_START');
  }

  it('typing_start reaches the channel; a repeat within the window is acked and folded into it', async () => {
    const { owner, member, serverId, channelId } = await channelWithTwo();
    const watching = await connect(owner);
    const typist = await connect(member);
    expect(await typist.command('typing_start', { channel_id: channelId })).toEqual({ ok: true });
    const [frame] = await watching.waitForFrames(1, (f) => f.t === 'TYPING_START');
    expect(frame?.d).toEqual({
      channel_id: channelId,
      server_id: serverId,
      user_id: member.id,
      timestamp: expect.any(Number),
    });
    expect(await typist.command('typing_start', { channel_id: channelId })).toEqual({ ok: true });
    expect(await typingFramesSeen(watching, owner, channelId)).toHaveLength(1);
  });

  it('POST /channels/{id}/typing does the same over REST (204, and 204 for a repeat without a second broadcast)', async () => {
    const { owner, member, channelId } = await channelWithTwo();
    const watching = await connect(owner);
    const first = await api(app, 'POST', `/channels/${channelId}/typing`, { token: member.token });
    expect(first.status).toBe(204);
    await watching.waitForFrames(1, (f) => f.t === 'TYPING_START');
    const second = await api(app, 'POST', `/channels/${channelId}/typing`, { token: member.token });
    expect(second.status).toBe(204);
    expect(await typingFramesSeen(watching, owner, channelId)).toHaveLength(1);
  });

  it('refuses channels the user cannot see or send in, and bad payloads', async () => {
    const { owner, member, serverId, channelId } = await channelWithTwo();
    const stranger = await connect(await registerUser(app));
    expect(await stranger.command('typing_start', { channel_id: channelId })).toMatchObject({
      ok: false,
      code: 'unknown_channel',
    });
    expect(await stranger.command('typing_start', { channel_id: 'abc' })).toMatchObject({
      ok: false,
      code: 'validation_error',
      errors: { channel_id: expect.any(String) },
    });
    // @everyone loses SEND_MESSAGES in this channel.
    const put = await api(app, 'PUT', `/channels/${channelId}/permissions/${serverId}`, {
      token: owner.token,
      body: { type: 'role', allow: '0', deny: String(1n << 11n) },
    });
    expect(put.status).toBe(204);
    const muted = await connect(member);
    expect(await muted.command('typing_start', { channel_id: channelId })).toMatchObject({
      ok: false,
      code: 'missing_permission',
    });
    const rest = await api(app, 'POST', `/channels/${channelId}/typing`, { token: member.token });
    expect([rest.status, rest.body.code]).toEqual([403, 'missing_permission']);
    expect((await api(app, 'POST', `/channels/1/typing`, { token: member.token })).status).toBe(404);
  });
});

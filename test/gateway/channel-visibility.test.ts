import { invalidate } from '../../shared/domain/invalidation.js';
import { rooms, type DispatchFrame } from '../../shared/events/index.js';
import { Permission, syncChannelRooms } from '../../shared/permissions/index.js';
import type { MessageObject } from '../../shared/presenters/types.js';
import { useTestApp } from '../helpers/app.js';
import { api, registerUser, type TestUser } from '../helpers/accounts.js';
import { connectGateway, type GatewayClient } from '../helpers/gateway-client.js';

const clients: GatewayClient[] = [];
const app = useTestApp({ workers: false });
afterAll(() => {
  for (const c of clients) c.close();
});

async function connect(user: TestUser): Promise<GatewayClient> {
  const c = await connectGateway(app.origin, { token: user.token });
  clients.push(c);
  return c;
}

function message(channelId: string, content: string): MessageObject {
  return {
    id: app.rt.snowflake.next(),
    channel_id: channelId,
    author_id: '1',
    type: 'default',
    content,
    nonce: null,
    created_at: Math.floor(Date.now() / 1000),
    edited_at: null,
    attachments: [],
    embeds: [],
    pinned: false,
    content_html: content,
    mentions: [],
    mention_roles: [],
    mention_everyone: false,
    reply_to: null,
    reactions: [],
    thread_id: null,
    webhook_id: null,
  };
}

const contentIs = (content: string) => (f: DispatchFrame) =>
  f.t === 'MESSAGE_CREATE' && (f.d as MessageObject).content === content;

/** Sends a channel event, then a marker to the user's own room; resolves when the marker arrived. */
async function probe(client: GatewayClient, userId: string, channelId: string, n: number): Promise<boolean> {
  await app.rt.events.dispatch(
    [rooms.channel(channelId)],
    'MESSAGE_CREATE',
    message(channelId, `channel-${n}`),
  );
  await app.rt.events.dispatch([rooms.user(userId)], 'MESSAGE_CREATE', message(channelId, `marker-${n}`));
  await client.waitForFrames(1, contentIs(`marker-${n}`));
  return client.frames.some(contentIs(`channel-${n}`));
}

describe('channel rooms follow visibility', () => {
  it('a member stops receiving a channel’s events at once when an overwrite hides it, and gets them back', async () => {
    const [owner, member] = [await registerUser(app), await registerUser(app)];
    const ownerClient = await connect(owner);
    const created = await api(app, 'POST', '/servers', { token: owner.token, body: { name: 'Rooms' } });
    const serverId = created.body.id as string;
    await ownerClient.waitForFrames(
      1,
      (f) => f.t === 'SERVER_CREATE' && (f.d as { id: string }).id === serverId,
    );
    const general = await app.rt.models.Channel.findOne({ where: { server_id: serverId } });
    const generalId = general?.id as string;
    // The owner's existing connection joined the new server's channel room.
    expect(await probe(ownerClient, owner.id, generalId, 0)).toBe(true);

    await app.rt.models.Member.create({ server_id: serverId, user_id: member.id });
    await invalidate(app.rt, { servers: [serverId] });
    const client = await connect(member);
    expect(await probe(client, member.id, generalId, 1)).toBe(true);

    const deny = await api(app, 'PUT', `/channels/${generalId}/permissions/${member.id}`, {
      token: owner.token,
      body: { type: 'member', allow: '0', deny: String(Permission.VIEW_CHANNEL) },
    });
    expect(deny.status).toBe(204);
    expect(await probe(client, member.id, generalId, 2)).toBe(false);
    // The owner, who still sees it, got the CHANNEL_UPDATE; the member did not, but was told the
    // channel went out of sight (once), and the owner was not.
    await ownerClient.waitForFrames(1, (f) => f.t === 'CHANNEL_UPDATE');
    expect(client.frames.some((f) => f.t === 'CHANNEL_UPDATE')).toBe(false);
    const gone = client.frames.filter((f) => f.t === 'CHANNEL_DELETE');
    expect(gone.map((f) => (f.d as { id: string }).id)).toEqual([generalId]);
    expect(ownerClient.frames.some((f) => f.t === 'CHANNEL_DELETE')).toBe(false);

    const restore = await api(app, 'DELETE', `/channels/${generalId}/permissions/${member.id}`, {
      token: owner.token,
    });
    expect(restore.status).toBe(204);
    expect(await probe(client, member.id, generalId, 3)).toBe(true);
    await client.waitForFrames(1, (f) => f.t === 'CHANNEL_UPDATE');
    const back = client.frames.filter((f) => f.t === 'CHANNEL_CREATE');
    expect(back.map((f) => (f.d as { id: string }).id)).toEqual([generalId]);
    // Its CHANNEL_CREATE came before the channel's events resumed.
    expect(client.frames.findIndex((f) => f.t === 'CHANNEL_CREATE')).toBeLessThan(
      client.frames.findIndex((f) => f.t === 'CHANNEL_UPDATE'),
    );
  });

  it('@everyone and role overwrites move every affected connection; CHANNEL_DELETE reaches only viewers', async () => {
    const [owner, plain, trusted] = [
      await registerUser(app),
      await registerUser(app),
      await registerUser(app),
    ];
    const created = await api(app, 'POST', '/servers', { token: owner.token, body: { name: 'Roles' } });
    const serverId = created.body.id as string;
    const roleId = app.rt.snowflake.next();
    await app.rt.models.Role.create({
      id: roleId,
      server_id: serverId,
      name: 'trusted',
      position: 1,
      created_at: new Date(),
    });
    await app.rt.models.Member.create({ server_id: serverId, user_id: plain.id });
    await app.rt.models.Member.create({ server_id: serverId, user_id: trusted.id });
    await app.rt.models.MemberRole.create({ server_id: serverId, user_id: trusted.id, role_id: roleId });
    await invalidate(app.rt, { servers: [serverId] });
    const [plainClient, trustedClient] = [await connect(plain), await connect(trusted)];
    await syncChannelRooms(app.rt, serverId, [plain.id, trusted.id]);

    const channel = await api(app, 'POST', `/servers/${serverId}/channels`, {
      token: owner.token,
      body: { name: 'new', channel_type: 'text' },
    });
    const channelId = channel.body.id as string;
    const isCreate = (f: DispatchFrame) =>
      f.t === 'CHANNEL_CREATE' && (f.d as { id: string }).id === channelId;
    await plainClient.waitForFrames(1, isCreate);
    await trustedClient.waitForFrames(1, isCreate);

    const view = String(Permission.VIEW_CHANNEL);
    await api(app, 'PUT', `/channels/${channelId}/permissions/${serverId}`, {
      token: owner.token,
      body: { type: 'role', allow: '0', deny: view },
    });
    expect(await probe(plainClient, plain.id, channelId, 10)).toBe(false);
    expect(await probe(trustedClient, trusted.id, channelId, 11)).toBe(false);
    await api(app, 'PUT', `/channels/${channelId}/permissions/${roleId}`, {
      token: owner.token,
      body: { type: 'role', allow: view, deny: '0' },
    });
    expect(await probe(plainClient, plain.id, channelId, 12)).toBe(false);
    expect(await probe(trustedClient, trusted.id, channelId, 13)).toBe(true);

    // Deleting it tells only its viewers.
    const removed = await api(app, 'DELETE', `/channels/${channelId}`, { token: owner.token });
    expect(removed.status).toBe(204);
    const isDelete = (f: DispatchFrame) =>
      f.t === 'CHANNEL_DELETE' && (f.d as { id: string }).id === channelId;
    // Each was told once when the @everyone overwrite hid it; the trusted member again on deletion.
    await trustedClient.waitForFrames(2, isDelete);
    await app.rt.events.dispatch([rooms.user(plain.id)], 'MESSAGE_CREATE', message(channelId, 'marker-14'));
    await plainClient.waitForFrames(1, contentIs('marker-14'));
    expect(plainClient.frames.filter(isDelete)).toHaveLength(1);
    expect(
      trustedClient.frames.filter(
        (f) => f.t === 'CHANNEL_CREATE' && (f.d as { id: string }).id === channelId,
      ),
    ).toHaveLength(2);
  });
});

describe('every channel object has the shape of GET /channels/{id}', () => {
  it('the PATCH answer, CHANNEL_CREATE/UPDATE/DELETE, READY and the server listing carry the overwrites', async () => {
    const owner = await registerUser(app);
    const created = await api(app, 'POST', '/servers', { token: owner.token, body: { name: 'Shapes' } });
    const serverId = created.body.id as string;
    const ownerClient = await connect(owner);
    const get = async (id: string) => {
      const res = await api(app, 'GET', `/channels/${id}`, { token: owner.token });
      expect(res.status).toBe(200);
      return res.body as Record<string, unknown>;
    };
    const framesOf = (t: string, id: string) =>
      ownerClient.waitForFrames(1, (f) => f.t === t && (f.d as { id: string }).id === id);

    const posted = await api(app, 'POST', `/servers/${serverId}/channels`, {
      token: owner.token,
      body: { name: 'shaped', channel_type: 'text' },
    });
    const channelId = posted.body.id as string;
    const [create] = await framesOf('CHANNEL_CREATE', channelId);
    expect(create?.d).toEqual(await get(channelId));

    // Each overwrite change's CHANNEL_UPDATE carries the overwrites as they are now.
    const send = String(Permission.SEND_MESSAGES);
    const put = await api(app, 'PUT', `/channels/${channelId}/permissions/${serverId}`, {
      token: owner.token,
      body: { type: 'role', allow: '0', deny: send },
    });
    expect(put.status).toBe(204);
    const [afterPut] = await framesOf('CHANNEL_UPDATE', channelId);
    const overwrite = { id: serverId, type: 'role', allow: '0', deny: send };
    expect(afterPut?.d).toEqual({ ...(await get(channelId)), permission_overwrites: [overwrite] });

    const patched = await api(app, 'PATCH', `/channels/${channelId}`, {
      token: owner.token,
      body: { topic: 'shape' },
    });
    expect(patched.status).toBe(200);
    const now = await get(channelId);
    expect(now).toEqual(expect.objectContaining({ topic: 'shape', permission_overwrites: [overwrite] }));
    expect(patched.body).toEqual(now);
    const updates = await ownerClient.waitForFrames(
      2,
      (f) => f.t === 'CHANNEL_UPDATE' && (f.d as { id: string }).id === channelId,
    );
    expect(updates[1]?.d).toEqual(now);
    // A PATCH that changes nothing answers the same shape.
    const unchanged = await api(app, 'PATCH', `/channels/${channelId}`, {
      token: owner.token,
      body: { topic: 'shape' },
    });
    expect(unchanged.body).toEqual(now);

    const listed = await api(app, 'GET', `/servers/${serverId}/channels`, { token: owner.token });
    expect((listed.body as { id: string }[]).find((c) => c.id === channelId)).toEqual(now);
    const fresh = await connect(owner);
    const ready = fresh.frames.find((f) => f.t === 'READY')?.d as { channels: { id: string }[] };
    expect(ready.channels.find((c) => c.id === channelId)).toEqual(now);

    const removed = await api(app, 'DELETE', `/channels/${channelId}/permissions/${serverId}`, {
      token: owner.token,
    });
    expect(removed.status).toBe(204);
    const afterRemove = await ownerClient.waitForFrames(
      3,
      (f) => f.t === 'CHANNEL_UPDATE' && (f.d as { id: string }).id === channelId,
    );
    expect(afterRemove[2]?.d).toEqual({ ...now, permission_overwrites: [] });

    await api(app, 'PUT', `/channels/${channelId}/permissions/${serverId}`, {
      token: owner.token,
      body: { type: 'role', allow: '0', deny: send },
    });
    const last = await get(channelId);
    expect((await api(app, 'DELETE', `/channels/${channelId}`, { token: owner.token })).status).toBe(204);
    const [gone] = await framesOf('CHANNEL_DELETE', channelId);
    expect(gone?.d).toEqual(last);
  });
});

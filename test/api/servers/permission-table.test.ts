/**
 * The permission cases of test/shared/permissions.test.ts again, end to end: everything set up
 * through the HTTP routes (servers, roles, invites, overwrites, timeouts) and observed through them
 * (GET /channels/{id} for VIEW_CHANNEL, PATCH /channels/{id} for MANAGE_CHANNELS).
 */
import { Permission as P } from '../../../shared/permissions/index.js';
import { useTestApp } from '../../helpers/app.js';
import { api, registerUser, type ApiResponse, type TestUser } from '../../helpers/accounts.js';

const app = useTestApp({ workers: false, gateway: false });

interface World {
  owner: TestUser;
  serverId: string;
  channelId: string;
}

function ok(res: ApiResponse, status: number): ApiResponse['body'] {
  if (res.status !== status)
    throw new Error(`expected ${status}, got ${res.status} ${JSON.stringify(res.body)}`);
  return res.body;
}

async function world(): Promise<World> {
  const owner = await registerUser(app);
  const server = ok(
    await api(app, 'POST', '/servers', { token: owner.token, body: { name: 'perm table' } }),
    201,
  );
  const channels = ok(await api(app, 'GET', `/servers/${server.id}/channels`, { token: owner.token }), 200);
  return { owner, serverId: server.id, channelId: channels[0].id };
}

async function join(w: World): Promise<TestUser> {
  const user = await registerUser(app);
  const invite = ok(
    await api(app, 'POST', `/channels/${w.channelId}/invites`, { token: w.owner.token, body: {} }),
    201,
  );
  ok(await api(app, 'POST', `/invites/${invite.code}`, { token: user.token }), 200);
  return user;
}

async function role(w: World, permissions: bigint): Promise<string> {
  const created = await api(app, 'POST', `/servers/${w.serverId}/roles`, {
    token: w.owner.token,
    body: { name: 'r', permissions: String(permissions) },
  });
  return ok(created, 201).id as string;
}

async function give(w: World, user: TestUser, roleId: string) {
  ok(
    await api(app, 'PUT', `/servers/${w.serverId}/members/${user.id}/roles/${roleId}`, {
      token: w.owner.token,
    }),
    204,
  );
}

async function overwrite(w: World, targetId: string, type: 'role' | 'member', allow: bigint, deny: bigint) {
  const res = await api(app, 'PUT', `/channels/${w.channelId}/permissions/${targetId}`, {
    token: w.owner.token,
    body: { type, allow: String(allow), deny: String(deny) },
  });
  if (res.status !== 200 && res.status !== 204)
    throw new Error(`overwrite: ${res.status} ${JSON.stringify(res.body)}`);
}

const sees = async (w: World, user: TestUser) =>
  (await api(app, 'GET', `/channels/${w.channelId}`, { token: user.token })).status;
const manages = async (w: World, user: TestUser) =>
  (
    await api(app, 'PATCH', `/channels/${w.channelId}`, {
      token: user.token,
      body: { topic: `t${Date.now()}` },
    })
  ).status;

describe('the permission table through the HTTP routes', () => {
  it('owner: has everything whatever the overwrites say', async () => {
    const w = await world();
    await overwrite(w, w.serverId, 'role', 0n, P.VIEW_CHANNEL | P.MANAGE_CHANNELS);
    expect([await sees(w, w.owner), await manages(w, w.owner)]).toEqual([200, 200]);
  });

  it('administrator role: has everything, overwrites ignored', async () => {
    const w = await world();
    const admin = await join(w);
    await give(w, admin, await role(w, P.ADMINISTRATOR));
    await overwrite(w, w.serverId, 'role', 0n, P.VIEW_CHANNEL);
    await overwrite(w, admin.id, 'member', 0n, P.VIEW_CHANNEL);
    expect([await sees(w, admin), await manages(w, admin)]).toEqual([200, 200]);
  });

  it('@everyone deny + role allow: the role holder sees the channel, a plain member gets 404', async () => {
    const w = await world();
    const holder = await join(w);
    const plain = await join(w);
    const r = await role(w, 0n);
    await give(w, holder, r);
    await overwrite(w, w.serverId, 'role', 0n, P.VIEW_CHANNEL);
    await overwrite(w, r, 'role', P.VIEW_CHANNEL, 0n);
    expect(await sees(w, holder)).toBe(200);
    expect(await sees(w, plain)).toBe(404);
    // The channel object lists its overwrites.
    const seen = await api(app, 'GET', `/channels/${w.channelId}`, { token: holder.token });
    expect(seen.body.permission_overwrites).toEqual(
      expect.arrayContaining([
        { id: w.serverId, type: 'role', allow: '0', deny: String(P.VIEW_CHANNEL) },
        { id: r, type: 'role', allow: String(P.VIEW_CHANNEL), deny: '0' },
      ]),
    );
    // 404, not 403, and no data, even for writes.
    const write = await api(app, 'PATCH', `/channels/${w.channelId}`, {
      token: plain.token,
      body: { topic: 'x' },
    });
    expect([write.status, write.body.code]).toEqual([404, 'unknown_channel']);
  });

  it('member overwrite beats role overwrite, both ways', async () => {
    const w = await world();
    const denied = await join(w);
    const allowed = await join(w);
    const viewer = await role(w, 0n);
    const hidden = await role(w, 0n);
    await give(w, denied, viewer);
    await give(w, allowed, hidden);
    await overwrite(w, viewer, 'role', P.VIEW_CHANNEL, 0n);
    await overwrite(w, hidden, 'role', 0n, P.VIEW_CHANNEL);
    await overwrite(w, denied.id, 'member', 0n, P.VIEW_CHANNEL);
    await overwrite(w, allowed.id, 'member', P.VIEW_CHANNEL, 0n);
    expect(await sees(w, denied)).toBe(404);
    expect(await sees(w, allowed)).toBe(200);
  });

  it('timed-out member: keeps VIEW_CHANNEL, loses MANAGE_CHANNELS until the timeout ends', async () => {
    const w = await world();
    const mod = await join(w);
    await give(w, mod, await role(w, P.MANAGE_CHANNELS));
    expect(await manages(w, mod)).toBe(200);
    const until = Math.floor(Date.now() / 1000) + 600;
    ok(
      await api(app, 'PATCH', `/servers/${w.serverId}/members/${mod.id}`, {
        token: w.owner.token,
        body: { communication_disabled_until: until },
      }),
      200,
    );
    expect(await sees(w, mod)).toBe(200);
    const refused = await api(app, 'PATCH', `/channels/${w.channelId}`, {
      token: mod.token,
      body: { topic: 'no' },
    });
    expect([refused.status, refused.body.code]).toEqual([403, 'missing_permission']);
    expect(refused.body.message).toMatch(/MANAGE_CHANNELS/);
    ok(
      await api(app, 'PATCH', `/servers/${w.serverId}/members/${mod.id}`, {
        token: w.owner.token,
        body: { communication_disabled_until: null },
      }),
      200,
    );
    expect(await manages(w, mod)).toBe(200);
  });
});

import { invalidate } from '../../../shared/domain/invalidation.js';
import { DEFAULT_EVERYONE_PERMISSIONS, Permission } from '../../../shared/permissions/index.js';
import { decodeSnowflake } from '../../../shared/snowflake.js';
import { useTestApp } from '../../helpers/app.js';
import { api, registerUser } from '../../helpers/accounts.js';
import { addMember, addRole, makeServer } from './helpers.js';

const app = useTestApp({ workers: false, gateway: false });

describe('POST /servers', () => {
  it('creates the server, its @everyone role, a general channel and the owner as member', async () => {
    const owner = await registerUser(app);
    const res = await api(app, 'POST', '/servers', {
      token: owner.token,
      body: { name: 'My server', description: 'hello' },
    });
    expect(res.status).toBe(201);
    expect(res.body).toEqual({
      id: expect.any(String),
      name: 'My server',
      description: 'hello',
      icon_url: null,
      owner_id: owner.id,
      member_count: 1,
      created_at: decodeSnowflake(res.body.id as string).createdAt,
    });
    const serverId = res.body.id as string;
    const everyone = await app.rt.models.Role.findByPk(serverId);
    expect(everyone).not.toBeNull();
    expect([everyone?.server_id, everyone?.name, everyone?.position]).toEqual([serverId, '@everyone', 0]);
    expect(BigInt(everyone?.permissions ?? '0')).toBe(DEFAULT_EVERYONE_PERMISSIONS);
    const channels = await app.rt.models.Channel.findAll({ where: { server_id: serverId } });
    expect(channels.map((c) => [c.name, c.channel_type, c.position])).toEqual([['general', 'text', 0]]);
    const members = await app.rt.models.Member.findAll({ where: { server_id: serverId } });
    expect(members.map((m) => m.user_id)).toEqual([owner.id]);

    const get = await api(app, 'GET', `/servers/${serverId}`, { token: owner.token });
    expect([get.status, get.body]).toEqual([200, res.body]);
  });

  it.each([
    ['an empty name', { name: '' }, ['name']],
    ['a 101-character name', { name: 'x'.repeat(101) }, ['name']],
    ['no name', {}, ['name']],
    ['a number as name', { name: 5 }, ['name']],
    ['a number as description', { name: 'ok', description: 7 }, ['description']],
    ['a 1001-character description', { name: 'ok', description: 'x'.repeat(1001) }, ['description']],
    ['wrong types for both', { name: ['a'], description: false }, ['name', 'description']],
  ])('refuses %s (400 naming the bad fields)', async (_label, body, fields) => {
    const owner = await registerUser(app);
    const res = await api(app, 'POST', '/servers', { token: owner.token, body });
    expect([res.status, res.body.code, Object.keys(res.body.errors as object).sort()]).toEqual([
      400,
      'validation_error',
      [...fields].sort(),
    ]);
  });

  it('accepts a 100-character name and needs a token', async () => {
    const owner = await registerUser(app);
    const ok = await api(app, 'POST', '/servers', { token: owner.token, body: { name: 'x'.repeat(100) } });
    expect(ok.status).toBe(201);
    const anon = await api(app, 'POST', '/servers', { body: { name: 'x' } });
    expect(anon.status).toBe(401);
  });
});

describe('GET/PATCH/DELETE /servers/{id}', () => {
  it('is 404 for non-members and unknown servers', async () => {
    const [owner, stranger] = [await registerUser(app), await registerUser(app)];
    const { serverId } = await makeServer(app, owner);
    for (const method of ['GET', 'PATCH', 'DELETE']) {
      const res = await api(app, method, `/servers/${serverId}`, {
        token: stranger.token,
        body: method === 'PATCH' ? { name: 'hijacked' } : undefined,
      });
      expect([method, res.status, res.body.code]).toEqual([method, 404, 'unknown_server']);
    }
    const unknown = await api(app, 'GET', '/servers/1234567890123456789', { token: owner.token });
    expect(unknown.status).toBe(404);
  });

  it('PATCH needs MANAGE_SERVER (403 naming it); a role granting it is enough; audited with the diff', async () => {
    const [owner, member] = [await registerUser(app), await registerUser(app)];
    const { serverId } = await makeServer(app, owner);
    await addMember(app, serverId, member.id);
    const denied = await api(app, 'PATCH', `/servers/${serverId}`, {
      token: member.token,
      body: { name: 'New name' },
    });
    expect([denied.status, denied.body.code, denied.body.permission]).toEqual([
      403,
      'missing_permission',
      'MANAGE_SERVER',
    ]);
    expect(denied.body.message).toMatch(/MANAGE_SERVER/);

    const roleId = await addRole(app, serverId, Permission.MANAGE_SERVER);
    await app.rt.models.MemberRole.create({ server_id: serverId, user_id: member.id, role_id: roleId });
    await invalidate(app.rt, { servers: [serverId] });
    const ok = await api(app, 'PATCH', `/servers/${serverId}`, {
      token: member.token,
      body: { name: 'New name', description: 'd', icon_url: 'https://example.com/i.png' },
      headers: { 'x-audit-log-reason': 'rebrand%20time' },
    });
    expect(ok.status).toBe(200);
    expect(ok.body).toMatchObject({
      name: 'New name',
      description: 'd',
      icon_url: 'https://example.com/i.png',
      member_count: 2,
    });
    const logs = await app.rt.models.AuditLog.findAll({
      where: { server_id: serverId, action: 'server_update' },
    });
    expect(logs).toHaveLength(1);
    expect(logs[0]).toMatchObject({ actor_id: member.id, target_id: serverId, reason: 'rebrand time' });
    expect(logs[0]?.changes).toEqual([
      { key: 'name', old: 'Test server', new: 'New name' },
      { key: 'description', old: null, new: 'd' },
      { key: 'icon_url', old: null, new: 'https://example.com/i.png' },
    ]);
  });

  it('PATCH validates its body', async () => {
    const owner = await registerUser(app);
    const { serverId } = await makeServer(app, owner);
    for (const [body, fields] of [
      [{}, ['body']],
      [{ name: '' }, ['name']],
      [{ name: 'x'.repeat(101), icon_url: 'ftp://x' }, ['icon_url', 'name']],
      [{ owner_id: 'abc' }, ['owner_id']],
    ] as const) {
      const res = await api(app, 'PATCH', `/servers/${serverId}`, { token: owner.token, body });
      expect([res.status, Object.keys(res.body.errors as object).sort()]).toEqual([400, [...fields]]);
    }
  });

  it('transfers ownership: owner only, to a member only; audited', async () => {
    const [owner, member, stranger] = [
      await registerUser(app),
      await registerUser(app),
      await registerUser(app),
    ];
    const { serverId } = await makeServer(app, owner);
    await addMember(app, serverId, member.id);
    const adminRole = await addRole(app, serverId, Permission.ADMINISTRATOR);
    await app.rt.models.MemberRole.create({ server_id: serverId, user_id: member.id, role_id: adminRole });
    await invalidate(app.rt, { servers: [serverId] });

    const notOwner = await api(app, 'PATCH', `/servers/${serverId}`, {
      token: member.token,
      body: { owner_id: member.id },
    });
    expect([notOwner.status, notOwner.body.code]).toEqual([403, 'owner_only']);
    const notMember = await api(app, 'PATCH', `/servers/${serverId}`, {
      token: owner.token,
      body: { owner_id: stranger.id },
    });
    expect([notMember.status, Object.keys(notMember.body.errors as object)]).toEqual([400, ['owner_id']]);

    const ok = await api(app, 'PATCH', `/servers/${serverId}`, {
      token: owner.token,
      body: { owner_id: member.id },
    });
    expect([ok.status, ok.body.owner_id]).toEqual([200, member.id]);
    const log = await app.rt.models.AuditLog.findOne({
      where: { server_id: serverId, action: 'server_transfer' },
    });
    expect(log).toMatchObject({ actor_id: owner.id, target_id: member.id });
    expect(log?.changes).toEqual([{ key: 'owner_id', old: owner.id, new: member.id }]);

    // The former owner is a plain member now.
    const rename = await api(app, 'PATCH', `/servers/${serverId}`, {
      token: owner.token,
      body: { name: 'x' },
    });
    expect([rename.status, rename.body.permission]).toEqual([403, 'MANAGE_SERVER']);
    const del = await api(app, 'DELETE', `/servers/${serverId}`, { token: owner.token });
    expect([del.status, del.body.code]).toEqual([403, 'owner_only']);
  });

  it('DELETE: owner only (403 for members, 404 for strangers); everything goes', async () => {
    const [owner, admin, stranger] = [
      await registerUser(app),
      await registerUser(app),
      await registerUser(app),
    ];
    const { serverId, generalId } = await makeServer(app, owner);
    await addMember(app, serverId, admin.id, [await addRole(app, serverId, Permission.ADMINISTRATOR)]);
    const byAdmin = await api(app, 'DELETE', `/servers/${serverId}`, { token: admin.token });
    expect([byAdmin.status, byAdmin.body.code]).toEqual([403, 'owner_only']);
    const byStranger = await api(app, 'DELETE', `/servers/${serverId}`, { token: stranger.token });
    expect(byStranger.status).toBe(404);

    const ok = await api(app, 'DELETE', `/servers/${serverId}`, { token: owner.token });
    expect(ok.status).toBe(204);
    expect(await app.rt.models.Server.findByPk(serverId)).toBeNull();
    expect(await app.rt.models.Channel.findByPk(generalId)).toBeNull();
    expect(await app.rt.models.Member.count({ where: { server_id: serverId } })).toBe(0);
    const again = await api(app, 'GET', `/servers/${serverId}`, { token: owner.token });
    expect(again.status).toBe(404);
  });
});

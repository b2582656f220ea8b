import { invalidate } from '../../../shared/domain/invalidation.js';
import { Permission } from '../../../shared/permissions/index.js';
import { useTestApp } from '../../helpers/app.js';
import { api, registerUser, type TestUser } from '../../helpers/accounts.js';
import { addMember, addRole, makeServer } from './helpers.js';

const app = useTestApp({ workers: false, gateway: false });

const put = (user: TestUser, channelId: string, targetId: string, body: unknown) =>
  api(app, 'PUT', `/channels/${channelId}/permissions/${targetId}`, { token: user.token, body });
const del = (user: TestUser, channelId: string, targetId: string) =>
  api(app, 'DELETE', `/channels/${channelId}/permissions/${targetId}`, { token: user.token });
const bits = (b: bigint) => String(b);

describe('PUT/DELETE /channels/{id}/permissions/{overwrite_id}', () => {
  it('creates, replaces and deletes overwrites, auditing before and after', async () => {
    const [owner, member] = [await registerUser(app), await registerUser(app)];
    const { serverId, generalId } = await makeServer(app, owner);
    await addMember(app, serverId, member.id);
    const send = bits(Permission.SEND_MESSAGES);
    const created = await put(owner, generalId, member.id, { type: 'member', allow: '0', deny: send });
    expect(created.status).toBe(204);
    const row = await app.rt.models.PermissionOverwrite.findOne({
      where: { channel_id: generalId, target_id: member.id },
    });
    expect([row?.type, String(row?.allow), String(row?.deny)]).toEqual(['member', '0', send]);

    const replaced = await put(owner, generalId, member.id, {
      type: 'member',
      allow: send,
      deny: bits(Permission.ADD_REACTIONS),
    });
    expect(replaced.status).toBe(204);
    // The same again changes nothing and is not audited.
    await put(owner, generalId, member.id, {
      type: 'member',
      allow: send,
      deny: bits(Permission.ADD_REACTIONS),
    });

    const removed = await del(owner, generalId, member.id);
    expect(removed.status).toBe(204);
    expect(await app.rt.models.PermissionOverwrite.count({ where: { channel_id: generalId } })).toBe(0);
    const again = await del(owner, generalId, member.id);
    expect([again.status, again.body.code]).toEqual([404, 'unknown_overwrite']);

    const logs = await app.rt.models.AuditLog.findAll({
      where: { server_id: serverId },
      order: [['id', 'ASC']],
    });
    expect(logs.map((l) => [l.action, l.target_id, l.actor_id])).toEqual([
      ['overwrite_update', generalId, owner.id],
      ['overwrite_update', generalId, owner.id],
      ['overwrite_delete', generalId, owner.id],
    ]);
    expect(logs[0]?.changes).toEqual([
      { key: 'overwrite_id', old: member.id, new: member.id },
      { key: 'type', new: 'member' },
      { key: 'allow', new: '0' },
      { key: 'deny', new: send },
    ]);
    expect(logs[1]?.changes).toEqual([
      { key: 'overwrite_id', old: member.id, new: member.id },
      { key: 'allow', old: '0', new: send },
      { key: 'deny', old: send, new: bits(Permission.ADD_REACTIONS) },
    ]);
    expect(logs[2]?.changes).toEqual([
      { key: 'overwrite_id', old: member.id, new: member.id },
      { key: 'type', old: 'member' },
      { key: 'allow', old: send },
      { key: 'deny', old: bits(Permission.ADD_REACTIONS) },
    ]);
  });

  it('validates type, allow and deny (400 naming each)', async () => {
    const owner = await registerUser(app);
    const { serverId, generalId } = await makeServer(app, owner);
    for (const [body, fields] of [
      [{}, ['type']],
      [{ type: 'user', allow: '1' }, ['type']],
      [{ type: 'role', allow: 'abc', deny: '-1' }, ['allow', 'deny']],
      [{ type: 'role', allow: bits(1n << 12n) }, ['allow']],
      [{ type: 'role', deny: 1024 }, ['deny']],
      [{ type: 'role', allow: '1'.repeat(21) }, ['allow']],
    ] as const) {
      const res = await put(owner, generalId, serverId, body);
      expect([JSON.stringify(body), res.status, Object.keys(res.body.errors as object).sort()]).toEqual([
        JSON.stringify(body),
        400,
        [...fields],
      ]);
    }
  });

  it('the target must be a role of the server or a member (404 otherwise)', async () => {
    const [owner, stranger] = [await registerUser(app), await registerUser(app)];
    const { serverId, generalId } = await makeServer(app, owner);
    const other = await makeServer(app, owner);
    const foreignRole = await addRole(app, other.serverId, 0n);
    const role = await put(owner, generalId, foreignRole, { type: 'role', allow: '0', deny: '0' });
    expect([role.status, role.body.code]).toEqual([404, 'unknown_role']);
    const asRole = await put(owner, generalId, owner.id, { type: 'role', allow: '0', deny: '0' });
    expect(asRole.status).toBe(404);
    const member = await put(owner, generalId, stranger.id, { type: 'member', allow: '0', deny: '0' });
    expect([member.status, member.body.code]).toEqual([404, 'unknown_member']);
    const everyone = await put(owner, generalId, serverId, { type: 'role', allow: '0', deny: '0' });
    expect(everyone.status).toBe(204);
  });

  it('needs MANAGE_ROLES in the channel, and only bits the caller holds there; strangers get 404', async () => {
    const [owner, mod, plain, stranger] = [
      await registerUser(app),
      await registerUser(app),
      await registerUser(app),
      await registerUser(app),
    ];
    const { serverId, generalId } = await makeServer(app, owner);
    await addMember(app, serverId, plain.id);
    const modRole = await addRole(app, serverId, Permission.MANAGE_ROLES | Permission.MANAGE_MESSAGES);
    await addMember(app, serverId, mod.id, [modRole]);
    const body = { type: 'member', allow: '0', deny: bits(Permission.SEND_MESSAGES) };

    const byPlain = await put(plain, generalId, plain.id, body);
    expect([byPlain.status, byPlain.body.permission]).toEqual([403, 'MANAGE_ROLES']);
    const byStranger = await put(stranger, generalId, plain.id, body);
    expect([byStranger.status, byStranger.body.code]).toEqual([404, 'unknown_channel']);

    expect((await put(mod, generalId, plain.id, body)).status).toBe(204);
    const tooMuch = await put(mod, generalId, plain.id, {
      type: 'member',
      allow: bits(Permission.MANAGE_CHANNELS | Permission.MANAGE_MESSAGES),
      deny: bits(Permission.SEND_MESSAGES | Permission.KICK_MEMBERS),
    });
    expect([tooMuch.status, tooMuch.body.code]).toEqual([403, 'missing_permission']);
    expect(tooMuch.body.permission.split(', ').sort()).toEqual(['KICK_MEMBERS', 'MANAGE_CHANNELS']);

    // An overwrite holding a bit the mod lacks can be edited elsewhere but not have that bit changed.
    expect(
      (
        await put(owner, generalId, plain.id, {
          type: 'member',
          allow: '0',
          deny: bits(Permission.SEND_MESSAGES | Permission.KICK_MEMBERS),
        })
      ).status,
    ).toBe(204);
    const keep = await put(mod, generalId, plain.id, {
      type: 'member',
      allow: bits(Permission.MANAGE_MESSAGES),
      deny: bits(Permission.SEND_MESSAGES | Permission.KICK_MEMBERS),
    });
    expect(keep.status).toBe(204);
    const cannotDelete = await del(mod, generalId, plain.id);
    expect([cannotDelete.status, cannotDelete.body.permission]).toEqual([403, 'KICK_MEMBERS']);

    // MANAGE_ROLES denied in the channel: the mod cannot manage its overwrites any more.
    await put(owner, generalId, modRole, { type: 'role', allow: '0', deny: bits(Permission.MANAGE_ROLES) });
    const denied = await put(mod, generalId, plain.id, body);
    expect([denied.status, denied.body.permission]).toEqual([403, 'MANAGE_ROLES']);
    // Administrators may set anything.
    await app.rt.models.MemberRole.create({
      server_id: serverId,
      user_id: mod.id,
      role_id: await addRole(app, serverId, Permission.ADMINISTRATOR, 2),
    });
    await invalidate(app.rt, { servers: [serverId] });
    expect((await del(mod, generalId, plain.id)).status).toBe(204);
  });

  it('follows the hierarchy: no overwrite for a role or member at or above the caller, ADMINISTRATOR included', async () => {
    const [owner, low, high, plain, admin] = [
      await registerUser(app),
      await registerUser(app),
      await registerUser(app),
      await registerUser(app),
      await registerUser(app),
    ];
    const { serverId, generalId } = await makeServer(app, owner);
    const lowRole = await addRole(app, serverId, Permission.MANAGE_ROLES | Permission.VIEW_CHANNEL, 1);
    const highRole = await addRole(app, serverId, 0n, 2);
    const adminRole = await addRole(app, serverId, Permission.ADMINISTRATOR, 1);
    await addMember(app, serverId, low.id, [lowRole]);
    await addMember(app, serverId, high.id, [highRole]);
    await addMember(app, serverId, plain.id);
    await addMember(app, serverId, admin.id, [adminRole]);
    const hide = { allow: '0', deny: bits(Permission.VIEW_CHANNEL) };

    // The case: a low MANAGE_ROLES member hiding the channel from a higher role.
    const upward = await put(low, generalId, highRole, { type: 'role', ...hide });
    expect(upward).toMatchObject({ status: 403, body: { code: 'role_hierarchy' } });
    expect(await put(low, generalId, lowRole, { type: 'role', ...hide })).toMatchObject({
      status: 403,
      body: { code: 'role_hierarchy' },
    });
    expect(await put(low, generalId, high.id, { type: 'member', ...hide })).toMatchObject({
      status: 403,
      body: { code: 'member_hierarchy' },
    });
    const onOwner = await put(low, generalId, owner.id, { type: 'member', ...hide });
    expect(onOwner).toMatchObject({ status: 403, body: { code: 'member_hierarchy' } });
    expect(onOwner.body.message).toMatch(/owner/);
    expect(await app.rt.models.PermissionOverwrite.count({ where: { channel_id: generalId } })).toBe(0);
    expect((await api(app, 'GET', `/channels/${generalId}`, { token: high.token })).status).toBe(200);

    // Below them, and their own overwrite, are theirs to set.
    const quiet = { type: 'role', allow: '0', deny: bits(Permission.SEND_MESSAGES) };
    expect((await put(low, generalId, serverId, quiet)).status).toBe(204);
    expect((await put(low, generalId, plain.id, { type: 'member', ...hide })).status).toBe(204);
    expect((await put(low, generalId, low.id, { type: 'member', allow: '0', deny: '0' })).status).toBe(204);
    expect((await api(app, 'GET', `/channels/${generalId}`, { token: plain.token })).status).toBe(404);

    // Deleting follows the same rule, whoever set the overwrite.
    expect(
      (
        await put(owner, generalId, highRole, {
          type: 'role',
          allow: bits(Permission.VIEW_CHANNEL),
          deny: '0',
        })
      ).status,
    ).toBe(204);
    expect(
      (
        await put(owner, generalId, high.id, {
          type: 'member',
          allow: bits(Permission.VIEW_CHANNEL),
          deny: '0',
        })
      ).status,
    ).toBe(204);
    expect(await del(low, generalId, highRole)).toMatchObject({
      status: 403,
      body: { code: 'role_hierarchy' },
    });
    expect(await del(low, generalId, high.id)).toMatchObject({
      status: 403,
      body: { code: 'member_hierarchy' },
    });
    expect((await del(low, generalId, plain.id)).status).toBe(204);

    // ADMINISTRATOR lifts the held-bits rule, not the hierarchy; the owner is bound by neither.
    expect(await put(admin, generalId, highRole, { type: 'role', ...hide })).toMatchObject({
      status: 403,
      body: { code: 'role_hierarchy' },
    });
    expect(
      (
        await put(admin, generalId, plain.id, {
          type: 'member',
          allow: bits(Permission.KICK_MEMBERS),
          deny: '0',
        })
      ).status,
    ).toBe(204);
    expect((await del(owner, generalId, highRole)).status).toBe(204);
    expect((await put(owner, generalId, highRole, { type: 'role', ...hide })).status).toBe(204);
  });
});

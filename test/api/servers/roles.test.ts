import { Permission } from '../../../shared/permissions/index.js';
import { useTestApp } from '../../helpers/app.js';
import { as, auditEntries, makeRole, member, person, world } from './membership-helpers.js';

const app = useTestApp({ workers: false, gateway: false });

const MANAGE = Permission.MANAGE_ROLES;

describe('GET /servers/{id}/roles', () => {
  it('lists roles by position for members; 404 for non-members', async () => {
    const { owner, serverId } = await world(app);
    const high = await makeRole(app, serverId, { position: 2 });
    const low = await makeRole(app, serverId, { position: 1 });
    const res = await as(app, owner, 'GET', `/servers/${serverId}/roles`);
    expect(res.status).toBe(200);
    expect(res.body.map((r: { id: string }) => r.id)).toEqual([serverId, low.id, high.id]);
    expect(res.body[0]).toMatchObject({ name: '@everyone', position: 0, permissions: expect.any(String) });
    const stranger = await person(app);
    const denied = await as(app, stranger, 'GET', `/servers/${serverId}/roles`);
    expect(denied.status).toBe(404);
    expect(denied.body.code).toBe('unknown_server');
  });
});

describe('POST /servers/{id}/roles', () => {
  it('creates at position 1, shifting others up, and audits with the reason', async () => {
    const { owner, serverId } = await world(app);
    const existing = await makeRole(app, serverId, { position: 1 });
    const res = await as(
      app,
      owner,
      'POST',
      `/servers/${serverId}/roles`,
      { name: 'Mods', permissions: String(Permission.KICK_MEMBERS), color: 0xff0000, hoist: true },
      'new team',
    );
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({
      name: 'Mods',
      position: 1,
      permissions: '2',
      color: 0xff0000,
      hoist: true,
    });
    await existing.reload();
    expect(existing.position).toBe(2);
    const [entry] = await auditEntries(app, serverId, 'role_create');
    expect(entry).toMatchObject({ actor_id: owner.id, target_id: res.body.id, reason: 'new team' });
    expect(entry?.changes).toEqual(
      expect.arrayContaining([
        { key: 'name', new: 'Mods' },
        { key: 'permissions', new: '2' },
      ]),
    );
  });

  it('403 naming MANAGE_ROLES; a manager cannot grant what they lack', async () => {
    const { serverId } = await world(app);
    const plain = await member(app, serverId);
    const res = await as(app, plain, 'POST', `/servers/${serverId}/roles`, { name: 'x' });
    expect(res.status).toBe(403);
    expect(res.body).toMatchObject({ code: 'missing_permission', permission: 'MANAGE_ROLES' });

    const managerRole = await makeRole(app, serverId, { position: 1, permissions: MANAGE });
    const manager = await member(app, serverId, [managerRole.id]);
    const grant = await as(app, manager, 'POST', `/servers/${serverId}/roles`, {
      permissions: String(Permission.BAN_MEMBERS),
    });
    expect(grant.status).toBe(403);
    expect(grant.body.permission).toBe('BAN_MEMBERS');
    const ok = await as(app, manager, 'POST', `/servers/${serverId}/roles`, {
      permissions: String(Permission.MANAGE_ROLES),
    });
    expect(ok.status).toBe(201);
  });

  it('400 naming permissions with unknown bits', async () => {
    const { owner, serverId } = await world(app);
    const res = await as(app, owner, 'POST', `/servers/${serverId}/roles`, {
      permissions: String(1n << 60n),
    });
    expect(res.status).toBe(400);
    expect(res.body.errors).toHaveProperty('permissions');
  });
});

describe('PATCH/DELETE /servers/{id}/roles/{role_id}', () => {
  async function hierarchy() {
    const w = await world(app);
    const top = await makeRole(app, w.serverId, { position: 3 });
    const mine = await makeRole(app, w.serverId, {
      position: 2,
      permissions: MANAGE | Permission.KICK_MEMBERS,
    });
    const below = await makeRole(app, w.serverId, { position: 1 });
    const manager = await member(app, w.serverId, [mine.id]);
    return { ...w, top, mine, below, manager };
  }

  it('edits a role below the caller, auditing the diff', async () => {
    const { serverId, below, manager } = await hierarchy();
    const res = await as(
      app,
      manager,
      'PATCH',
      `/servers/${serverId}/roles/${below.id}`,
      { name: 'renamed', permissions: String(Permission.KICK_MEMBERS) },
      'tidy',
    );
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ name: 'renamed', permissions: String(Permission.KICK_MEMBERS) });
    const [entry] = await auditEntries(app, serverId, 'role_update');
    expect(entry).toMatchObject({ actor_id: manager.id, target_id: below.id, reason: 'tidy' });
    expect(entry?.changes).toEqual([
      { key: 'name', old: 'role-1', new: 'renamed' },
      { key: 'permissions', old: '0', new: String(Permission.KICK_MEMBERS) },
    ]);
  });

  it('refuses editing or deleting its own role or one above (403 role_hierarchy)', async () => {
    const { serverId, top, mine, manager } = await hierarchy();
    for (const role of [top, mine]) {
      const edit = await as(app, manager, 'PATCH', `/servers/${serverId}/roles/${role.id}`, { name: 'x' });
      expect(edit.status).toBe(403);
      expect(edit.body.code).toBe('role_hierarchy');
      const del = await as(app, manager, 'DELETE', `/servers/${serverId}/roles/${role.id}`);
      expect(del.status).toBe(403);
    }
  });

  it('cannot grant bits the caller lacks; the owner can', async () => {
    const { owner, serverId, below, manager } = await hierarchy();
    const res = await as(app, manager, 'PATCH', `/servers/${serverId}/roles/${below.id}`, {
      permissions: String(Permission.ADMINISTRATOR),
    });
    expect(res.status).toBe(403);
    expect(res.body.permission).toBe('ADMINISTRATOR');
    const byOwner = await as(app, owner, 'PATCH', `/servers/${serverId}/roles/${below.id}`, {
      permissions: String(Permission.ADMINISTRATOR),
    });
    expect(byOwner.status).toBe(200);
  });

  it('@everyone: permissions editable by the owner, not renamable nor deletable', async () => {
    const { owner, serverId } = await world(app);
    expect(
      (await as(app, owner, 'PATCH', `/servers/${serverId}/roles/${serverId}`, { permissions: '1024' }))
        .status,
    ).toBe(200);
    const rename = await as(app, owner, 'PATCH', `/servers/${serverId}/roles/${serverId}`, { name: 'all' });
    expect(rename.status).toBe(400);
    expect(rename.body.errors).toHaveProperty('name');
    const del = await as(app, owner, 'DELETE', `/servers/${serverId}/roles/${serverId}`);
    expect(del.status).toBe(400);
    expect(del.body.code).toBe('cannot_delete_everyone');
  });

  it('deletes a role below: positions close up, holders lose it, audited', async () => {
    const { serverId, top, mine, below, manager } = await hierarchy();
    const holder = await member(app, serverId, [below.id]);
    const res = await as(
      app,
      manager,
      'DELETE',
      `/servers/${serverId}/roles/${below.id}`,
      undefined,
      'unused',
    );
    expect(res.status).toBe(204);
    expect(await app.rt.models.Role.findByPk(below.id)).toBeNull();
    expect(await app.rt.models.MemberRole.count({ where: { user_id: holder.id } })).toBe(0);
    await Promise.all([top.reload(), mine.reload()]);
    expect([mine.position, top.position]).toEqual([1, 2]);
    const [entry] = await auditEntries(app, serverId, 'role_delete');
    expect(entry).toMatchObject({ target_id: below.id, reason: 'unused' });
    expect(entry?.changes).toContainEqual({ key: 'name', old: 'role-1' });
  });

  it('404 unknown_role for a role of another server', async () => {
    const { owner, serverId } = await world(app);
    const other = await world(app);
    const foreign = await makeRole(app, other.serverId, { position: 1 });
    const res = await as(app, owner, 'PATCH', `/servers/${serverId}/roles/${foreign.id}`, { name: 'x' });
    expect(res.status).toBe(404);
    expect(res.body.code).toBe('unknown_role');
  });
});

describe('PATCH /servers/{id}/roles (reorder)', () => {
  it('moves roles below the caller and renumbers; refuses moving to or from at/above the caller', async () => {
    const { serverId } = await world(app);
    const a = await makeRole(app, serverId, { position: 1, name: 'a' });
    const b = await makeRole(app, serverId, { position: 2, name: 'b' });
    const mine = await makeRole(app, serverId, { position: 3, permissions: MANAGE });
    const top = await makeRole(app, serverId, { position: 4 });
    const manager = await member(app, serverId, [mine.id]);
    const res = await as(app, manager, 'PATCH', `/servers/${serverId}/roles`, [{ id: a.id, position: 2 }]);
    expect(res.status).toBe(200);
    expect(res.body.map((r: { id: string; position: number }) => [r.id, r.position])).toEqual([
      [serverId, 0],
      [b.id, 1],
      [a.id, 2],
      [mine.id, 3],
      [top.id, 4],
    ]);
    const entries = await auditEntries(app, serverId, 'role_update');
    expect(entries[0]).toMatchObject({ target_id: a.id, changes: [{ key: 'position', old: 1, new: 2 }] });

    const up = await as(app, manager, 'PATCH', `/servers/${serverId}/roles`, [{ id: a.id, position: 3 }]);
    expect(up.status).toBe(403);
    const moveTop = await as(app, manager, 'PATCH', `/servers/${serverId}/roles`, [
      { id: top.id, position: 1 },
    ]);
    expect(moveTop.status).toBe(403);
    const everyone = await as(app, manager, 'PATCH', `/servers/${serverId}/roles`, [
      { id: serverId, position: 1 },
    ]);
    expect(everyone.status).toBe(400);
  });
});

describe('PUT/DELETE /servers/{id}/members/{user_id}/roles/{role_id}', () => {
  it('assigns and removes a role below the caller, audited, idempotent', async () => {
    const { serverId } = await world(app);
    const mine = await makeRole(app, serverId, { position: 2, permissions: MANAGE });
    const low = await makeRole(app, serverId, { position: 1 });
    const manager = await member(app, serverId, [mine.id]);
    const target = await member(app, serverId);
    const path = `/servers/${serverId}/members/${target.id}/roles/${low.id}`;
    expect((await as(app, manager, 'PUT', path, undefined, 'promote')).status).toBe(204);
    expect((await as(app, manager, 'PUT', path)).status).toBe(204);
    const got = await as(app, manager, 'GET', `/servers/${serverId}/members/${target.id}`);
    expect(got.body.roles).toEqual([low.id]);
    const adds = await auditEntries(app, serverId, 'member_role_add');
    expect(adds).toHaveLength(1);
    expect(adds[0]).toMatchObject({
      actor_id: manager.id,
      target_id: target.id,
      reason: 'promote',
      changes: [{ key: 'roles', new: [{ id: low.id, name: low.name }] }],
    });
    expect((await as(app, manager, 'DELETE', path)).status).toBe(204);
    expect((await as(app, manager, 'DELETE', path)).status).toBe(204);
    expect(await auditEntries(app, serverId, 'member_role_remove')).toHaveLength(1);
  });

  it('refuses a role at or above the caller, @everyone, and members at or above the caller', async () => {
    const { owner, serverId } = await world(app);
    const mine = await makeRole(app, serverId, { position: 2, permissions: MANAGE });
    const low = await makeRole(app, serverId, { position: 1 });
    const manager = await member(app, serverId, [mine.id]);
    const peer = await member(app, serverId, [mine.id]);
    const target = await member(app, serverId);
    const own = await as(app, manager, 'PUT', `/servers/${serverId}/members/${target.id}/roles/${mine.id}`);
    expect(own.status).toBe(403);
    expect(own.body.code).toBe('role_hierarchy');
    const everyone = await as(
      app,
      manager,
      'PUT',
      `/servers/${serverId}/members/${target.id}/roles/${serverId}`,
    );
    expect(everyone.status).toBe(400);
    const equal = await as(app, manager, 'PUT', `/servers/${serverId}/members/${peer.id}/roles/${low.id}`);
    expect(equal.status).toBe(403);
    expect(equal.body.code).toBe('member_hierarchy');
    const toOwner = await as(app, manager, 'PUT', `/servers/${serverId}/members/${owner.id}/roles/${low.id}`);
    expect(toOwner.status).toBe(403);
    const plain = await as(app, target, 'PUT', `/servers/${serverId}/members/${target.id}/roles/${low.id}`);
    expect(plain.status).toBe(403);
    expect(plain.body.permission).toBe('MANAGE_ROLES');
    const missing = await as(
      app,
      manager,
      'PUT',
      `/servers/${serverId}/members/${(await person(app)).id}/roles/${low.id}`,
    );
    expect(missing.status).toBe(404);
    expect(missing.body.code).toBe('unknown_member');
  });
});

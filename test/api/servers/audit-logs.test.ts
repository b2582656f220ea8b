import { Permission } from '../../../shared/permissions/index.js';
import { useTestApp } from '../../helpers/app.js';
import { as, makeRole, member, person, world } from './membership-helpers.js';

const app = useTestApp({ workers: false, gateway: false });

describe('GET /servers/{id}/audit-logs', () => {
  it('newest first, filters by actor and action, paginates; VIEW_AUDIT_LOG; 400 naming action', async () => {
    const { owner, serverId } = await world(app);
    const modRole = await makeRole(app, serverId, {
      position: 2,
      permissions: Permission.MANAGE_ROLES | Permission.VIEW_AUDIT_LOG,
    });
    const mod = await member(app, serverId, [modRole.id]);
    const r1 = await as(app, owner, 'POST', `/servers/${serverId}/roles`, { name: 'one' }, 'first');
    const r2 = await as(app, mod, 'POST', `/servers/${serverId}/roles`, { name: 'two' });
    await as(app, mod, 'PATCH', `/servers/${serverId}/roles/${r2.body.id}`, { name: 'deux' });

    const all = await as(app, mod, 'GET', `/servers/${serverId}/audit-logs`);
    expect(all.status).toBe(200);
    expect(all.body.map((e: { action: string }) => e.action)).toEqual([
      'role_update',
      'role_create',
      'role_create',
    ]);
    expect(all.body[2]).toEqual({
      id: expect.any(String),
      action: 'role_create',
      user_id: owner.id,
      target_type: 'role',
      target_id: r1.body.id,
      changes: expect.arrayContaining([{ key: 'name', new: 'one' }]),
      reason: 'first',
      created_at: expect.any(Number),
    });
    expect(all.body[0].changes).toEqual([{ key: 'name', old: 'two', new: 'deux' }]);

    const byMod = await as(app, mod, 'GET', `/servers/${serverId}/audit-logs?user_id=${mod.id}`);
    expect(byMod.body).toHaveLength(2);
    const creates = await as(
      app,
      mod,
      'GET',
      `/servers/${serverId}/audit-logs?action=role_create&user_id=${mod.id}`,
    );
    expect(creates.body.map((e: { target_id: string }) => e.target_id)).toEqual([r2.body.id]);
    // Discord's name for the filter answers the same.
    const sameByType = await as(
      app,
      mod,
      'GET',
      `/servers/${serverId}/audit-logs?action_type=role_create&user_id=${mod.id}`,
    );
    expect(sameByType.body).toEqual(creates.body);

    const page1 = await as(app, mod, 'GET', `/servers/${serverId}/audit-logs?limit=2`);
    expect(page1.body).toHaveLength(2);
    const page2 = await as(
      app,
      mod,
      'GET',
      `/servers/${serverId}/audit-logs?limit=2&before=${page1.body[1].id}`,
    );
    expect(page2.body.map((e: { id: string }) => e.id)).toEqual([all.body[2].id]);
    const after = await as(app, mod, 'GET', `/servers/${serverId}/audit-logs?after=${all.body[2].id}`);
    expect(after.body.map((e: { id: string }) => e.id)).toEqual([all.body[1].id, all.body[0].id]);

    const bad = await as(app, mod, 'GET', `/servers/${serverId}/audit-logs?action=nope`);
    expect(bad.status).toBe(400);
    expect(bad.body.errors).toHaveProperty('action');

    const plain = await member(app, serverId);
    const denied = await as(app, plain, 'GET', `/servers/${serverId}/audit-logs`);
    expect(denied.status).toBe(403);
    expect(denied.body.permission).toBe('VIEW_AUDIT_LOG');
    expect((await as(app, await person(app), 'GET', `/servers/${serverId}/audit-logs`)).status).toBe(404);
  });
});

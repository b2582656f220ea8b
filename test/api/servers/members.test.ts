import { Permission, ServerPolicy, has } from '../../../shared/permissions/index.js';
import { useTestApp } from '../../helpers/app.js';
import { as, auditEntries, makeRole, member, person, recordDispatches, world } from './membership-helpers.js';

const app = useTestApp({ workers: false, gateway: false });

const now = () => Math.floor(Date.now() / 1000);

describe('GET members', () => {
  it('pages by user id ascending; one member; 404 for non-members and unknown members', async () => {
    const { owner, serverId } = await world(app);
    const others = [await member(app, serverId), await member(app, serverId), await member(app, serverId)];
    const ids = [owner.id, ...others.map((o) => o.id)].sort((a, b) => (BigInt(a) < BigInt(b) ? -1 : 1));
    const first = await as(app, owner, 'GET', `/servers/${serverId}/members?limit=2`);
    expect(first.status).toBe(200);
    expect(first.body.map((m: { user: { id: string } }) => m.user.id)).toEqual(ids.slice(0, 2));
    const next = await as(app, owner, 'GET', `/servers/${serverId}/members?limit=2&after=${ids[1]}`);
    expect(next.body.map((m: { user: { id: string } }) => m.user.id)).toEqual(ids.slice(2));

    const one = await as(app, others[0]!, 'GET', `/servers/${serverId}/members/@me`);
    expect(one.body).toMatchObject({
      server_id: serverId,
      user: { id: others[0]!.id },
      nick: null,
      roles: [],
    });
    const stranger = await person(app);
    expect((await as(app, stranger, 'GET', `/servers/${serverId}/members`)).status).toBe(404);
    const unknown = await as(app, owner, 'GET', `/servers/${serverId}/members/${stranger.id}`);
    expect(unknown.status).toBe(404);
    expect(unknown.body.code).toBe('unknown_member');
  });
});

describe('PATCH members', () => {
  it('own nick with CHANGE_NICKNAME; others need MANAGE_NICKNAMES and hierarchy; audited diff', async () => {
    const { owner, serverId } = await world(app);
    const alice = await member(app, serverId);
    const self = await as(app, alice, 'PATCH', `/servers/${serverId}/members/@me`, { nick: 'Ally' });
    expect(self.status).toBe(200);
    expect(self.body.nick).toBe('Ally');
    const bob = await member(app, serverId);
    const other = await as(app, alice, 'PATCH', `/servers/${serverId}/members/${bob.id}`, { nick: 'B' });
    expect(other.status).toBe(403);
    expect(other.body.permission).toBe('MANAGE_NICKNAMES');
    const byOwner = await as(
      app,
      owner,
      'PATCH',
      `/servers/${serverId}/members/${alice.id}`,
      { nick: null },
      'rule 3',
    );
    expect(byOwner.body.nick).toBeNull();
    const [entry] = await auditEntries(app, serverId, 'member_update');
    expect(entry).toMatchObject({
      actor_id: owner.id,
      target_id: alice.id,
      reason: 'rule 3',
      changes: [{ key: 'nick', old: 'Ally', new: null }],
    });
    // Self-changes are audited too.
    expect((await auditEntries(app, serverId, 'member_update')).length).toBe(2);
  });

  it('roles: MANAGE_ROLES and each changed role below the caller; member hierarchy', async () => {
    const { serverId } = await world(app);
    const mine = await makeRole(app, serverId, { position: 3, permissions: Permission.MANAGE_ROLES });
    const mid = await makeRole(app, serverId, { position: 2 });
    const low = await makeRole(app, serverId, { position: 1 });
    const manager = await member(app, serverId, [mine.id]);
    const target = await member(app, serverId, [low.id]);
    const res = await as(app, manager, 'PATCH', `/servers/${serverId}/members/${target.id}`, {
      roles: [mid.id],
    });
    expect(res.status).toBe(200);
    expect(res.body.roles).toEqual([mid.id]);
    const [entry] = await auditEntries(app, serverId, 'member_update');
    expect(entry?.changes).toEqual([{ key: 'roles', old: [low.id], new: [mid.id] }]);
    const tooHigh = await as(app, manager, 'PATCH', `/servers/${serverId}/members/${target.id}`, {
      roles: [mid.id, mine.id],
    });
    expect(tooHigh.status).toBe(403);
    expect(tooHigh.body.code).toBe('role_hierarchy');
    const peer = await member(app, serverId, [mine.id]);
    const equal = await as(app, manager, 'PATCH', `/servers/${serverId}/members/${peer.id}`, {
      roles: [mine.id, low.id],
    });
    expect(equal.status).toBe(403);
    expect(equal.body.code).toBe('member_hierarchy');
  });

  it('timeouts: MODERATE_MEMBERS, hierarchy, 28 days max; a timed-out member loses SEND_MESSAGES', async () => {
    const { owner, serverId } = await world(app);
    const modRole = await makeRole(app, serverId, { position: 2, permissions: Permission.MODERATE_MEMBERS });
    const mod = await member(app, serverId, [modRole.id]);
    const target = await member(app, serverId);
    const until = now() + 3600;
    const path = `/servers/${serverId}/members/${target.id}`;
    expect(
      has((await ServerPolicy.load(app.rt, serverId, target.id)).permissions, Permission.SEND_MESSAGES),
    ).toBe(true);
    const res = await as(app, mod, 'PATCH', path, { communication_disabled_until: until }, 'spam');
    expect(res.status).toBe(200);
    expect(res.body.communication_disabled_until).toBe(until);
    const perms = (await ServerPolicy.load(app.rt, serverId, target.id)).permissions;
    expect(has(perms, Permission.SEND_MESSAGES)).toBe(false);
    expect(has(perms, Permission.VIEW_CHANNEL)).toBe(true);
    const [entry] = await auditEntries(app, serverId, 'member_timeout');
    expect(entry).toMatchObject({
      actor_id: mod.id,
      target_id: target.id,
      reason: 'spam',
      changes: [{ key: 'communication_disabled_until', old: null, new: until }],
    });

    const tooFar = await as(app, mod, 'PATCH', path, { communication_disabled_until: now() + 29 * 86400 });
    expect(tooFar.status).toBe(400);
    expect(tooFar.body.errors).toHaveProperty('communication_disabled_until');
    const cleared = await as(app, mod, 'PATCH', path, { communication_disabled_until: null });
    expect(cleared.body.communication_disabled_until).toBeNull();
    expect(
      has((await ServerPolicy.load(app.rt, serverId, target.id)).permissions, Permission.SEND_MESSAGES),
    ).toBe(true);

    const onOwner = await as(app, mod, 'PATCH', `/servers/${serverId}/members/${owner.id}`, {
      communication_disabled_until: until,
    });
    expect(onOwner.status).toBe(403);
    const peer = await member(app, serverId, [modRole.id]);
    expect(
      (
        await as(app, mod, 'PATCH', `/servers/${serverId}/members/${peer.id}`, {
          communication_disabled_until: until,
        })
      ).status,
    ).toBe(403);
    const plain = await as(app, target, 'PATCH', `/servers/${serverId}/members/${peer.id}`, {
      communication_disabled_until: until,
    });
    expect(plain.body.permission).toBe('MODERATE_MEMBERS');
  });

  it('a timeout may also be sent as an ISO date, as `timeout_until`, or as `timeout` seconds from now', async () => {
    const { serverId } = await world(app);
    const modRole = await makeRole(app, serverId, { position: 2, permissions: Permission.MODERATE_MEMBERS });
    const mod = await member(app, serverId, [modRole.id]);
    const target = await member(app, serverId);
    const path = `/servers/${serverId}/members/${target.id}`;
    const until = now() + 600;
    const iso = await as(app, mod, 'PATCH', path, {
      communication_disabled_until: new Date(until * 1000).toISOString(),
    });
    expect([iso.status, iso.body.communication_disabled_until]).toEqual([200, until]);
    const alias = await as(app, mod, 'PATCH', path, { timeout_until: until + 60 });
    expect([alias.status, alias.body.communication_disabled_until]).toEqual([200, until + 60]);
    const before = now();
    const seconds = await as(app, mod, 'PATCH', path, { timeout: 300 });
    expect(seconds.status).toBe(200);
    expect(seconds.body.communication_disabled_until).toBeGreaterThanOrEqual(before + 300);
    expect(seconds.body.communication_disabled_until).toBeLessThanOrEqual(now() + 300);
    expect(
      has((await ServerPolicy.load(app.rt, serverId, target.id)).permissions, Permission.SEND_MESSAGES),
    ).toBe(false);
    const ended = await as(app, mod, 'PATCH', path, { timeout: null });
    expect([ended.status, ended.body.communication_disabled_until]).toEqual([200, null]);
    const both = await as(app, mod, 'PATCH', path, { timeout: 60, timeout_until: until });
    expect(both.status).toBe(400);
    const bad = await as(app, mod, 'PATCH', path, { communication_disabled_until: 'tomorrow' });
    expect([bad.status, Object.keys(bad.body.errors as object)]).toEqual([
      400,
      ['communication_disabled_until'],
    ]);
  });
});

describe('DELETE members (kick, leave)', () => {
  it('kicks a member below, audited with reason, dispatching SERVER_MEMBER_REMOVE', async () => {
    const { serverId } = await world(app);
    const modRole = await makeRole(app, serverId, { position: 2, permissions: Permission.KICK_MEMBERS });
    const mod = await member(app, serverId, [modRole.id]);
    const target = await member(app, serverId);
    const sent = recordDispatches(app);
    const res = await as(app, mod, 'DELETE', `/servers/${serverId}/members/${target.id}`, undefined, 'bye');
    expect(res.status).toBe(204);
    expect(await app.rt.models.Member.count({ where: { server_id: serverId, user_id: target.id } })).toBe(0);
    expect(sent.find((e) => e.t === 'SERVER_MEMBER_REMOVE')).toMatchObject({
      d: { server_id: serverId, user: { id: target.id } },
    });
    const [entry] = await auditEntries(app, serverId, 'member_kick');
    expect(entry).toMatchObject({ actor_id: mod.id, target_id: target.id, reason: 'bye' });
  });

  it('refuses equal or higher members and the owner; 403 naming KICK_MEMBERS', async () => {
    const { owner, serverId } = await world(app);
    const modRole = await makeRole(app, serverId, { position: 2, permissions: Permission.KICK_MEMBERS });
    const highRole = await makeRole(app, serverId, { position: 3 });
    const adminRole = await makeRole(app, serverId, { position: 4, permissions: Permission.ADMINISTRATOR });
    const mod = await member(app, serverId, [modRole.id]);
    const peer = await member(app, serverId, [modRole.id]);
    const high = await member(app, serverId, [highRole.id]);
    const admin = await member(app, serverId, [adminRole.id]);
    for (const t of [peer, high, owner]) {
      const res = await as(app, mod, 'DELETE', `/servers/${serverId}/members/${t.id}`);
      expect(res.status).toBe(403);
      expect(res.body.code).toBe('member_hierarchy');
    }
    const byAdmin = await as(app, admin, 'DELETE', `/servers/${serverId}/members/${owner.id}`);
    expect(byAdmin.status).toBe(403);
    const plain = await as(
      app,
      await member(app, serverId),
      'DELETE',
      `/servers/${serverId}/members/${mod.id}`,
    );
    expect(plain.status).toBe(403);
    expect(plain.body.permission).toBe('KICK_MEMBERS');
    const stranger = await person(app);
    expect((await as(app, stranger, 'DELETE', `/servers/${serverId}/members/${mod.id}`)).status).toBe(404);
    expect((await as(app, admin, 'DELETE', `/servers/${serverId}/members/${stranger.id}`)).status).toBe(404);
  });

  it('leaving with @me; the owner cannot leave', async () => {
    const { owner, serverId } = await world(app);
    const alice = await member(app, serverId);
    expect((await as(app, alice, 'DELETE', `/servers/${serverId}/members/@me`)).status).toBe(204);
    expect(await app.rt.models.Member.count({ where: { server_id: serverId, user_id: alice.id } })).toBe(0);
    const res = await as(app, owner, 'DELETE', `/servers/${serverId}/members/@me`);
    expect(res.status).toBe(400);
    expect(res.body.code).toBe('owner_cannot_leave');
  });
});

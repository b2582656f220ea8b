import { invalidate } from '../../../shared/domain/invalidation.js';
import { Permission } from '../../../shared/permissions/index.js';
import { api } from '../../helpers/accounts.js';
import { useTestApp } from '../../helpers/app.js';
import { as, auditEntries, makeRole, member, person, recordDispatches, world } from './membership-helpers.js';

const app = useTestApp({ workers: false, gateway: false });

describe('invites', () => {
  it('a member who joins by invite is in the member list at once, though the list was cached', async () => {
    const { owner, serverId, channelId } = await world(app);
    const ids = async () => {
      const res = await as(app, owner, 'GET', `/servers/${serverId}/members`);
      expect(res.status).toBe(200);
      return (res.body as { user: { id: string } }[]).map((m) => m.user.id);
    };
    expect(await ids()).toEqual([owner.id]);
    expect(await ids()).toEqual([owner.id]); // served from the cache now
    const code = (await as(app, owner, 'POST', `/channels/${channelId}/invites`, {})).body.code as string;
    const joiner = await person(app);
    expect((await as(app, joiner, 'POST', `/invites/${code}`)).status).toBe(200);
    expect(await ids()).toEqual([owner.id, joiner.id]);
    // The newcomer's own view agrees.
    const theirs = await as(app, joiner, 'GET', `/servers/${serverId}/members`);
    expect(theirs.body.map((m: { user: { id: string } }) => m.user.id)).toEqual([owner.id, joiner.id]);
  });

  it('create (audited), preview without a token, join (idempotent), list, revoke', async () => {
    const { owner, serverId, channelId } = await world(app);
    const created = await as(app, owner, 'POST', `/channels/${channelId}/invites`, { max_uses: 5 }, 'party');
    expect(created.status).toBe(201);
    const code = created.body.code as string;
    expect(code).toMatch(/^[A-Za-z0-9]{8,10}$/);
    expect(created.body).toMatchObject({ max_age: 86400, max_uses: 5, uses: 0, inviter: { id: owner.id } });
    expect((await auditEntries(app, serverId, 'invite_create'))[0]).toMatchObject({
      actor_id: owner.id,
      reason: 'party',
      changes: expect.arrayContaining([{ key: 'code', new: code }]),
    });

    const preview = await api(app, 'GET', `/invites/${code}`);
    expect(preview.status).toBe(200);
    expect(preview.body).toEqual({
      code,
      server: { id: serverId, name: 'Test server', description: null, icon_url: null, member_count: 1 },
      channel: { id: channelId, name: 'general', channel_type: 'text' },
      expires_at: expect.any(Number),
      max_uses: 5,
      uses: 0,
    });

    const joiner = await person(app);
    const sent = recordDispatches(app);
    const join = await as(app, joiner, 'POST', `/invites/${code}`);
    expect(join.status).toBe(200);
    expect(join.body).toMatchObject({ id: serverId, member_count: 2 });
    expect(sent.map((e) => e.t)).toEqual(expect.arrayContaining(['SERVER_CREATE', 'SERVER_MEMBER_ADD']));
    expect((await as(app, joiner, 'POST', `/invites/${code}`)).status).toBe(200);
    expect((await api(app, 'GET', `/invites/${code}`)).body.uses).toBe(1);
    expect((await as(app, joiner, 'GET', `/servers/${serverId}/members/@me`)).status).toBe(200);

    const listed = await as(app, owner, 'GET', `/servers/${serverId}/invites`);
    expect(listed.body.map((i: { code: string }) => i.code)).toEqual([code]);
    expect((await as(app, joiner, 'GET', `/servers/${serverId}/invites`)).body.permission).toBe(
      'MANAGE_SERVER',
    );

    expect((await as(app, joiner, 'DELETE', `/invites/${code}`)).status).toBe(403);
    expect((await as(app, owner, 'DELETE', `/invites/${code}`, undefined, 'leaked')).status).toBe(204);
    expect((await auditEntries(app, serverId, 'invite_delete'))[0]).toMatchObject({ reason: 'leaked' });
    expect((await api(app, 'GET', `/invites/${code}`)).status).toBe(404);
    expect((await as(app, await person(app), 'POST', `/invites/${code}`)).status).toBe(404);
  });

  it('the inviter may revoke their own invite', async () => {
    const { serverId, channelId } = await world(app);
    const alice = await member(app, serverId);
    const code = (await as(app, alice, 'POST', `/channels/${channelId}/invites`, {})).body.code as string;
    expect((await as(app, alice, 'DELETE', `/invites/${code}`)).status).toBe(204);
  });

  it('expired and used-up invites are 404 unknown_invite', async () => {
    const { owner, channelId } = await world(app);
    const code = (await as(app, owner, 'POST', `/channels/${channelId}/invites`, { max_age: 60 })).body
      .code as string;
    await app.rt.models.Invite.update({ expires_at: new Date(Date.now() - 1000) }, { where: { code } });
    const preview = await api(app, 'GET', `/invites/${code}`);
    expect(preview.status).toBe(404);
    expect(preview.body.code).toBe('unknown_invite');
    expect((await as(app, await person(app), 'POST', `/invites/${code}`)).status).toBe(404);

    const once = (await as(app, owner, 'POST', `/channels/${channelId}/invites`, { max_uses: 1, max_age: 0 }))
      .body;
    expect(once.expires_at).toBeNull();
    expect((await as(app, await person(app), 'POST', `/invites/${once.code}`)).status).toBe(200);
    expect((await api(app, 'GET', `/invites/${once.code}`)).status).toBe(404);
  });

  it('a code that could never have been issued is just as unknown: 404 unknown_invite', async () => {
    const stranger = await person(app);
    for (const code of ['invalid-code', 'no_such_invite', 'abcdefghijklmnopqrstuvwxyz', 'caf%C3%A9']) {
      const preview = await api(app, 'GET', `/invites/${code}`);
      expect([code, preview.status, preview.body.code]).toEqual([code, 404, 'unknown_invite']);
      const join = await as(app, stranger, 'POST', `/invites/${code}`);
      expect([code, join.status, join.body.code]).toEqual([code, 404, 'unknown_invite']);
      const revoke = await as(app, stranger, 'DELETE', `/invites/${code}`);
      expect([code, revoke.status, revoke.body.code]).toEqual([code, 404, 'unknown_invite']);
    }
  });

  it('max_uses 1 under two simultaneous joins: exactly one succeeds', async () => {
    const { owner, serverId, channelId } = await world(app);
    for (let round = 0; round < 5; round++) {
      const code = (await as(app, owner, 'POST', `/channels/${channelId}/invites`, { max_uses: 1 })).body
        .code as string;
      const [a, b] = [await person(app), await person(app)];
      const results = await Promise.all([
        as(app, a, 'POST', `/invites/${code}`),
        as(app, b, 'POST', `/invites/${code}`),
      ]);
      expect(results.map((r) => r.status).sort()).toEqual([200, 404]);
      const invite = await app.rt.models.Invite.findByPk(code);
      expect(invite?.uses).toBe(1);
      const joined = await app.rt.models.Member.count({
        where: { server_id: serverId, user_id: [a.id, b.id] },
      });
      expect(joined).toBe(1);
    }
  });

  it('needs CREATE_INVITE in a visible channel; 404 for non-members; validation', async () => {
    const { serverId, channelId } = await world(app);
    await app.rt.models.Role.update(
      { permissions: String(Permission.VIEW_CHANNEL | Permission.SEND_MESSAGES) },
      { where: { id: serverId } },
    );
    await invalidate(app.rt, { servers: [serverId] });
    const plain = await member(app, serverId);
    const denied = await as(app, plain, 'POST', `/channels/${channelId}/invites`, {});
    expect(denied.status).toBe(403);
    expect(denied.body.permission).toBe('CREATE_INVITE');
    const inviterRole = await makeRole(app, serverId, { position: 1, permissions: Permission.CREATE_INVITE });
    const inviter = await member(app, serverId, [inviterRole.id]);
    expect((await as(app, inviter, 'POST', `/channels/${channelId}/invites`, {})).status).toBe(201);
    const stranger = await person(app);
    const hidden = await as(app, stranger, 'POST', `/channels/${channelId}/invites`, {});
    expect(hidden.status).toBe(404);
    expect(hidden.body.code).toBe('unknown_channel');
    const bad = await as(app, inviter, 'POST', `/channels/${channelId}/invites`, {
      max_age: -1,
      max_uses: 101,
    });
    expect(bad.status).toBe(400);
    expect(Object.keys(bad.body.errors).sort()).toEqual(['max_age', 'max_uses']);
  });
});

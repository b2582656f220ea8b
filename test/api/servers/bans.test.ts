import { Permission } from '../../../shared/permissions/index.js';
import { decodeSnowflake, snowflakeFromTimestamp } from '../../../shared/snowflake.js';
import { useTestApp } from '../../helpers/app.js';
import { as, auditEntries, makeRole, member, person, world } from './membership-helpers.js';

const app = useTestApp({ workers: false, gateway: false });

async function message(channelId: string, authorId: string, ageMs = 0) {
  const id =
    ageMs === 0
      ? app.rt.snowflake.next()
      : (
          BigInt(snowflakeFromTimestamp(Date.now() - ageMs)) + BigInt(Math.floor(Math.random() * 4000))
        ).toString();
  return app.rt.models.Message.create({
    id,
    channel_id: channelId,
    author_id: authorId,
    content: 'hi',
    created_at: new Date(decodeSnowflake(id).timestampMs),
  });
}

async function invite(token: { token: string; id: string; username: string }, channelId: string) {
  const res = await as(app, token, 'POST', `/channels/${channelId}/invites`, {});
  expect(res.status).toBe(201);
  return res.body.code as string;
}

describe('bans', () => {
  it('bans a member: membership removed, recent messages deleted, audited; cannot rejoin; unban', async () => {
    const { owner, serverId, channelId } = await world(app);
    const target = await member(app, serverId);
    const old = await message(channelId, target.id, 3 * 3600 * 1000);
    const recent = await message(channelId, target.id);
    const others = await message(channelId, owner.id);
    const res = await as(
      app,
      owner,
      'PUT',
      `/servers/${serverId}/bans/${target.id}`,
      { delete_message_seconds: 3600 },
      'raid',
    );
    expect(res.status).toBe(204);
    expect(await app.rt.models.Member.count({ where: { server_id: serverId, user_id: target.id } })).toBe(0);
    expect(await app.rt.models.Message.findByPk(recent.id)).toBeNull();
    expect(await app.rt.models.Message.findByPk(old.id)).not.toBeNull();
    expect(await app.rt.models.Message.findByPk(others.id)).not.toBeNull();
    const [entry] = await auditEntries(app, serverId, 'member_ban');
    expect(entry).toMatchObject({
      actor_id: owner.id,
      target_id: target.id,
      reason: 'raid',
      changes: [{ key: 'delete_message_seconds', new: 3600 }],
    });

    const list = await as(app, owner, 'GET', `/servers/${serverId}/bans`);
    expect(list.body).toEqual([
      { user: expect.objectContaining({ id: target.id }), reason: 'raid', created_at: expect.any(Number) },
    ]);

    const code = await invite(owner, channelId);
    const join = await as(app, target, 'POST', `/invites/${code}`);
    expect(join.status).toBe(403);
    expect(join.body.code).toBe('banned');

    const unban = await as(
      app,
      owner,
      'DELETE',
      `/servers/${serverId}/bans/${target.id}`,
      undefined,
      'appeal',
    );
    expect(unban.status).toBe(204);
    expect((await auditEntries(app, serverId, 'member_unban'))[0]).toMatchObject({
      target_id: target.id,
      reason: 'appeal',
    });
    expect((await as(app, owner, 'DELETE', `/servers/${serverId}/bans/${target.id}`)).status).toBe(404);
    expect((await as(app, target, 'POST', `/invites/${code}`)).status).toBe(200);
  });

  it('bans a non-member by id; the reason from the body', async () => {
    const { owner, serverId } = await world(app);
    const outsider = await person(app);
    const res = await as(app, owner, 'PUT', `/servers/${serverId}/bans/${outsider.id}`, {
      reason: 'known spammer',
    });
    expect(res.status).toBe(204);
    const ban = await app.rt.models.Ban.findOne({ where: { server_id: serverId, user_id: outsider.id } });
    expect(ban?.reason).toBe('known spammer');
  });

  it('delete_message_days (the older form) deletes by whole days; not with delete_message_seconds', async () => {
    const { owner, serverId, channelId } = await world(app);
    const victim = await member(app, serverId);
    // One message a day and a half old, one an hour old: a day's deletion takes only the newer.
    const old = await message(channelId, victim.id, 36 * 3600 * 1000);
    const recent = await message(channelId, victim.id, 3600 * 1000);
    const both = await as(app, owner, 'PUT', `/servers/${serverId}/bans/${victim.id}`, {
      delete_message_days: 1,
      delete_message_seconds: 60,
    });
    expect(both.status).toBe(400);
    const tooMany = await as(app, owner, 'PUT', `/servers/${serverId}/bans/${victim.id}`, {
      delete_message_days: 8,
    });
    expect([tooMany.status, Object.keys(tooMany.body.errors)]).toEqual([400, ['delete_message_days']]);
    const res = await as(app, owner, 'PUT', `/servers/${serverId}/bans/${victim.id}`, {
      delete_message_days: 1,
    });
    expect(res.status).toBe(204);
    const left = await app.rt.models.Message.findAll({
      where: { channel_id: channelId, author_id: victim.id },
    });
    expect(left.map((m) => m.id)).toEqual([old.id]);
    expect(left.map((m) => m.id)).not.toContain(recent.id);
  });

  it('hierarchy: cannot ban equal/higher members or the owner; BAN_MEMBERS named; 404 unknown user', async () => {
    const { owner, serverId } = await world(app);
    const modRole = await makeRole(app, serverId, { position: 2, permissions: Permission.BAN_MEMBERS });
    const mod = await member(app, serverId, [modRole.id]);
    const peer = await member(app, serverId, [modRole.id]);
    for (const t of [peer, owner]) {
      const res = await as(app, mod, 'PUT', `/servers/${serverId}/bans/${t.id}`, {});
      expect(res.status).toBe(403);
      expect(res.body.code).toBe('member_hierarchy');
    }
    const plain = await member(app, serverId);
    const denied = await as(app, plain, 'PUT', `/servers/${serverId}/bans/${mod.id}`, {});
    expect(denied.body.permission).toBe('BAN_MEMBERS');
    expect((await as(app, plain, 'GET', `/servers/${serverId}/bans`)).body.permission).toBe('BAN_MEMBERS');
    expect((await as(app, mod, 'PUT', `/servers/${serverId}/bans/999999999999`, {})).status).toBe(404);
    const self = await as(app, mod, 'PUT', `/servers/${serverId}/bans/${mod.id}`, {});
    expect([self.status, self.body.code, self.body.errors]).toEqual([
      400,
      'cannot_target_self',
      { user_id: 'is your own id' },
    ]);
    const stranger = await person(app);
    expect((await as(app, stranger, 'GET', `/servers/${serverId}/bans`)).status).toBe(404);
  });
});

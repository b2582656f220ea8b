import { Permission } from '../../../shared/permissions/index.js';
import { useTestApp } from '../../helpers/app.js';
import { as, makeRole, member, person, world, type Person } from '../../api/servers/membership-helpers.js';

/**
 * Every write through the real routes says what it moved (shared/domain/invalidation.ts), so the
 * next read sees it though the caches were warm: one case per kind of row the caches are built
 * from (servers, members, roles, member roles, channels, overwrites, users), and the raw-SQL join.
 */
const app = useTestApp({ gateway: false }, 60_000);

const send = (who: Person, channelId: string) =>
  as(app, who, 'POST', `/channels/${channelId}/messages`, { content: 'hello' });

type Listed = { user: { id: string; username: string }; nick: string | null; roles: string[] };
const listed = async (owner: Person, serverId: string, userId: string) => {
  const res = await as(app, owner, 'GET', `/servers/${serverId}/members`);
  expect(res.status).toBe(200);
  return (res.body as Listed[]).find((m) => m.user.id === userId);
};

describe('explicit invalidation through the routes', () => {
  it('role: a permission taken from @everyone refuses the next send, given back allows it', async () => {
    const w = await world(app);
    const someone = await member(app, w.serverId);
    expect((await send(someone, w.channelId)).status).toBe(200); // facts cached
    const everyone = async (permissions: bigint) =>
      expect(
        (
          await as(app, w.owner, 'PATCH', `/servers/${w.serverId}/roles/${w.serverId}`, {
            permissions: String(permissions),
          })
        ).status,
      ).toBe(200);
    await everyone(Permission.VIEW_CHANNEL | Permission.READ_MESSAGE_HISTORY);
    const refused = await send(someone, w.channelId);
    expect([refused.status, refused.body.permission]).toEqual([403, 'SEND_MESSAGES']);
    await everyone(Permission.VIEW_CHANNEL | Permission.READ_MESSAGE_HISTORY | Permission.SEND_MESSAGES);
    expect((await send(someone, w.channelId)).status).toBe(200);
  });

  it('member roles: a role given or taken shows in the cached member list and in what they may do', async () => {
    const w = await world(app);
    const role = await makeRole(app, w.serverId, { position: 1, permissions: Permission.KICK_MEMBERS });
    const someone = await member(app, w.serverId);
    const victim = await member(app, w.serverId);
    expect((await listed(w.owner, w.serverId, someone.id))?.roles).toEqual([]); // page cached
    expect((await as(app, someone, 'DELETE', `/servers/${w.serverId}/members/${victim.id}`)).status).toBe(
      403,
    );
    const path = `/servers/${w.serverId}/members/${someone.id}/roles/${role.id}`;
    expect((await as(app, w.owner, 'PUT', path)).status).toBe(204);
    expect((await listed(w.owner, w.serverId, someone.id))?.roles).toEqual([role.id]);
    expect((await as(app, w.owner, 'DELETE', path)).status).toBe(204);
    expect((await listed(w.owner, w.serverId, someone.id))?.roles).toEqual([]);
    expect((await as(app, someone, 'DELETE', `/servers/${w.serverId}/members/${victim.id}`)).status).toBe(
      403,
    );
  });

  it('member: a nick and a timeout are seen at once; a kicked member is out at once', async () => {
    const w = await world(app);
    const someone = await member(app, w.serverId);
    expect((await listed(w.owner, w.serverId, someone.id))?.nick).toBeNull();
    expect((await send(someone, w.channelId)).status).toBe(200);
    const patch = (body: object) =>
      as(app, w.owner, 'PATCH', `/servers/${w.serverId}/members/${someone.id}`, body);
    expect((await patch({ nick: 'nicked' })).status).toBe(200);
    expect((await listed(w.owner, w.serverId, someone.id))?.nick).toBe('nicked');
    const until = Math.floor(Date.now() / 1000) + 3600;
    expect((await patch({ communication_disabled_until: until })).status).toBe(200);
    expect((await send(someone, w.channelId)).status).toBe(403);
    expect((await as(app, w.owner, 'DELETE', `/servers/${w.serverId}/members/${someone.id}`)).status).toBe(
      204,
    );
    expect(await listed(w.owner, w.serverId, someone.id)).toBeUndefined();
    expect((await as(app, someone, 'GET', `/servers/${w.serverId}`)).status).toBe(404);
  });

  it('server: a new name and a new owner are served at once', async () => {
    const w = await world(app);
    const heir = await member(app, w.serverId);
    const server = async (who: Person) =>
      (await as(app, who, 'GET', `/servers/${w.serverId}`)).body as { name: string; owner_id: string };
    // Both members' facts (the server row among them) are cached.
    expect(await server(w.owner)).toMatchObject({ name: 'Test server', owner_id: w.owner.id });
    expect(await server(heir)).toMatchObject({ name: 'Test server', owner_id: w.owner.id });
    expect((await as(app, w.owner, 'PATCH', `/servers/${w.serverId}`, { name: 'Renamed' })).status).toBe(200);
    expect((await server(heir)).name).toBe('Renamed');
    expect((await as(app, w.owner, 'PATCH', `/servers/${w.serverId}`, { owner_id: heir.id })).status).toBe(
      200,
    );
    expect((await server(w.owner)).owner_id).toBe(heir.id);
    expect((await server(heir)).owner_id).toBe(heir.id);
  });

  it('channel: a deleted channel is gone for the next read of its messages', async () => {
    const w = await world(app);
    const created = await as(app, w.owner, 'POST', `/servers/${w.serverId}/channels`, {
      name: 'doomed',
      channel_type: 'text',
    });
    expect(created.status).toBe(201);
    const messages = `/channels/${created.body.id as string}/messages`;
    expect((await as(app, w.owner, 'GET', messages)).status).toBe(200); // row cached
    expect((await as(app, w.owner, 'DELETE', `/channels/${created.body.id as string}`)).status).toBe(204);
    expect((await as(app, w.owner, 'GET', messages)).status).toBe(404);
  });

  it('overwrite: a member denied SEND_MESSAGES is refused at once, and allowed once it goes', async () => {
    const w = await world(app);
    const someone = await member(app, w.serverId);
    expect((await send(someone, w.channelId)).status).toBe(200); // overwrites cached
    const path = `/channels/${w.channelId}/permissions/${someone.id}`;
    const deny = { type: 'member', allow: '0', deny: String(Permission.SEND_MESSAGES) };
    expect((await as(app, w.owner, 'PUT', path, deny)).status).toBe(204);
    const refused = await send(someone, w.channelId);
    expect([refused.status, refused.body.permission]).toEqual([403, 'SEND_MESSAGES']);
    expect((await as(app, w.owner, 'DELETE', path)).status).toBe(204);
    expect((await send(someone, w.channelId)).status).toBe(200);
  });

  it('user: a new username is in the cached member list at once', async () => {
    const w = await world(app);
    const someone = await member(app, w.serverId);
    expect((await listed(w.owner, w.serverId, someone.id))?.user.username).toBe(someone.username);
    const renamed = `renamed_${someone.id.slice(-8)}`;
    expect((await as(app, someone, 'PATCH', '/users/@me', { username: renamed })).status).toBe(200);
    expect((await listed(w.owner, w.serverId, someone.id))?.user.username).toBe(renamed);
  });

  it('invite join (a raw INSERT): the newcomer is listed and may send at once', async () => {
    const w = await world(app);
    const joiner = await person(app);
    expect(await listed(w.owner, w.serverId, joiner.id)).toBeUndefined(); // page cached
    const code = (await as(app, w.owner, 'POST', `/channels/${w.channelId}/invites`, {})).body.code as string;
    expect((await as(app, joiner, 'POST', `/invites/${code}`)).status).toBe(200);
    expect((await listed(w.owner, w.serverId, joiner.id))?.user.id).toBe(joiner.id);
    expect((await send(joiner, w.channelId)).status).toBe(200);
  });
});

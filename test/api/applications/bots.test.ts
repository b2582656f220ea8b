import { invalidate } from '../../../shared/domain/invalidation.js';
import { useTestApp } from '../../helpers/app.js';
import { connectGateway, type GatewayClient } from '../../helpers/gateway-client.js';
import { Intent } from '../../../shared/intents.js';
import { Permission } from '../../../shared/permissions/index.js';
import { as, auditEntries, makeRole, member, person, world } from '../servers/membership-helpers.js';
import { addBot, asBot, makeApplication, type TestBot } from './helpers.js';

const clients: GatewayClient[] = [];
const app = useTestApp({ workers: false });
afterAll(() => {
  for (const c of clients) c.close();
});

async function connect(auth: Record<string, unknown>): Promise<GatewayClient> {
  const c = await connectGateway(app.origin, auth);
  clients.push(c);
  return c;
}

const isMember = async (serverId: string, userId: string) =>
  (await app.rt.models.Member.count({ where: { server_id: serverId, user_id: userId } })) === 1;

describe('adding a bot to a server', () => {
  it('the bot joins like any member: 201, SERVER_CREATE to it, SERVER_MEMBER_ADD to the server, audited', async () => {
    const w = await world(app);
    const bot = await makeApplication(app, await person(app));
    const ownerSocket = await connect({ token: w.owner.token });
    const botSocket = await connect({ token: bot.token, intents: Intent.SERVERS });

    const res = await addBot(app, w.owner, w.serverId, bot.appId);
    expect(res.status).toBe(201);
    expect(res.body).toEqual({
      member: {
        server_id: w.serverId,
        user: expect.objectContaining({ id: bot.botId, bot: true }),
        nick: null,
        roles: [],
        joined_at: expect.any(Number),
        communication_disabled_until: null,
      },
      role: null,
    });
    expect(await isMember(w.serverId, bot.botId)).toBe(true);
    const [added] = await ownerSocket.waitForFrames(1, (f) => f.t === 'SERVER_MEMBER_ADD');
    expect(added?.d).toMatchObject({ server_id: w.serverId, user: { id: bot.botId, bot: true } });
    const [created] = await botSocket.waitForFrames(1, (f) => f.t === 'SERVER_CREATE');
    expect(created?.d).toMatchObject({ id: w.serverId, member_count: 2 });
    const [entry] = await auditEntries(app, w.serverId, 'bot_add');
    expect(entry).toMatchObject({ actor_id: w.owner.id, target_id: bot.botId });
    // The bot now sees the server.
    const servers = await asBot(app, bot.token, 'GET', '/users/@me/servers');
    expect(servers.body.map((s: { id: string }) => s.id)).toEqual([w.serverId]);

    // Adding it again changes nothing.
    const again = await addBot(app, w.owner, w.serverId, bot.appId, String(Permission.KICK_MEMBERS));
    expect([again.status, again.body.role]).toEqual([200, null]);
    expect(await auditEntries(app, w.serverId, 'bot_add')).toHaveLength(1);
  });

  it('with permissions, the bot gets a managed role named after its application', async () => {
    const w = await world(app);
    const bot = await makeApplication(app, await person(app), 'Moderator Helper');
    const existing = await makeRole(app, w.serverId, { position: 1, name: 'existing' });
    const perms = Permission.KICK_MEMBERS | Permission.MANAGE_MESSAGES;
    const res = await addBot(app, w.owner, w.serverId, bot.appId, String(perms));
    expect(res.status).toBe(201);
    expect(res.body.role).toEqual({
      id: expect.any(String),
      server_id: w.serverId,
      name: 'Moderator Helper',
      permissions: String(perms),
      position: 1,
      color: 0,
      hoist: false,
      mentionable: false,
      managed: true,
      tags: { bot_id: bot.botId },
    });
    expect(res.body.member.roles).toEqual([res.body.role.id]);
    await existing.reload();
    expect(existing.position).toBe(2);
    const roles = await as(app, w.owner, 'GET', `/servers/${w.serverId}/roles`);
    const everyone = roles.body.find((r: { id: string }) => r.id === w.serverId);
    expect(everyone).toMatchObject({ managed: false });
    expect(everyone).not.toHaveProperty('tags');
  });

  it('needs MANAGE_SERVER (403 naming it); non-members get 404; unknown applications 404', async () => {
    const w = await world(app);
    const bot = await makeApplication(app, await person(app));
    const plain = await member(app, w.serverId);
    const denied = await addBot(app, plain, w.serverId, bot.appId);
    expect([denied.status, denied.body.code, denied.body.permission]).toEqual([
      403,
      'missing_permission',
      'MANAGE_SERVER',
    ]);
    const outsider = await addBot(app, await person(app), w.serverId, bot.appId);
    expect([outsider.status, outsider.body.code]).toEqual([404, 'unknown_server']);
    const unknown = await addBot(app, w.owner, w.serverId, app.rt.snowflake.next());
    expect([unknown.status, unknown.body.code]).toEqual([404, 'unknown_application']);
    const badPerms = await addBot(app, w.owner, w.serverId, bot.appId, 'lots');
    expect(badPerms.status).toBe(400);
    expect(Object.keys(badPerms.body.errors)).toEqual(['permissions']);
    expect(await isMember(w.serverId, bot.botId)).toBe(false);
  });

  it('the caller may grant only permissions they have', async () => {
    const w = await world(app);
    const bot = await makeApplication(app, await person(app));
    const role = await makeRole(app, w.serverId, { position: 1, permissions: Permission.MANAGE_SERVER });
    const manager = await member(app, w.serverId, [role.id]);
    const res = await addBot(app, manager, w.serverId, bot.appId, String(Permission.BAN_MEMBERS));
    expect([res.status, res.body.code, res.body.permission]).toEqual([
      403,
      'missing_permission',
      'BAN_MEMBERS',
    ]);
    expect(await isMember(w.serverId, bot.botId)).toBe(false);
    const ok = await addBot(app, manager, w.serverId, bot.appId, String(Permission.MANAGE_SERVER));
    expect(ok.status).toBe(201);
    expect(ok.body.role.permissions).toBe(String(Permission.MANAGE_SERVER));
  });

  it('a bot that is not public can be added only by its application’s owner', async () => {
    const appOwner = await person(app);
    const bot = await makeApplication(app, appOwner);
    await as(app, appOwner, 'PATCH', `/applications/${bot.appId}`, { public_bot: false });
    const w = await world(app);
    const refused = await addBot(app, w.owner, w.serverId, bot.appId);
    expect([refused.status, refused.body.code]).toEqual([403, 'bot_not_public']);
    expect(await isMember(w.serverId, bot.botId)).toBe(false);

    const own = await world(app);
    await app.rt.models.Server.update({ owner_id: appOwner.id }, { where: { id: own.serverId } });
    await app.rt.models.Member.create({ server_id: own.serverId, user_id: appOwner.id });
    await invalidate(app.rt, { servers: [own.serverId] });
    expect((await addBot(app, appOwner, own.serverId, bot.appId)).status).toBe(201);
  });

  it('a banned bot is refused; a ban or kick takes its managed role away', async () => {
    const w = await world(app);
    const bot = await makeApplication(app, await person(app), 'Banned Bot');
    const other = await makeRole(app, w.serverId, { position: 1, name: 'other' });
    const first = await addBot(app, w.owner, w.serverId, bot.appId, String(Permission.ADD_REACTIONS));
    const roleId = first.body.role.id as string;
    await other.reload();
    expect(other.position).toBe(2);
    const ownerSocket = await connect({ token: w.owner.token });
    const ban = await as(app, w.owner, 'PUT', `/servers/${w.serverId}/bans/${bot.botId}`, {});
    expect([200, 204]).toContain(ban.status);
    const [deleted] = await ownerSocket.waitForFrames(1, (f) => f.t === 'ROLE_DELETE');
    expect(deleted?.d).toEqual({ id: roleId, server_id: w.serverId });
    expect(await app.rt.models.Role.findByPk(roleId)).toBeNull();
    await other.reload();
    expect(other.position).toBe(1);

    const again = await addBot(app, w.owner, w.serverId, bot.appId);
    expect([again.status, again.body.code]).toEqual([403, 'banned']);
    expect(await isMember(w.serverId, bot.botId)).toBe(false);

    const w2 = await world(app);
    const added = await addBot(app, w2.owner, w2.serverId, bot.appId, String(Permission.ADD_REACTIONS));
    const kick = await as(app, w2.owner, 'DELETE', `/servers/${w2.serverId}/members/${bot.botId}`);
    expect(kick.status).toBe(204);
    expect(await app.rt.models.Role.findByPk(added.body.role.id)).toBeNull();
  });
});

describe('managed roles', () => {
  async function withManagedRole(): Promise<{
    w: Awaited<ReturnType<typeof world>>;
    bot: TestBot;
    roleId: string;
  }> {
    const w = await world(app);
    const bot = await makeApplication(app, await person(app), 'Role Bot');
    const res = await addBot(app, w.owner, w.serverId, bot.appId, String(Permission.SEND_MESSAGES));
    return { w, bot, roleId: res.body.role.id as string };
  }

  it('cannot be given to or taken from anyone by hand, nor deleted; it can be edited', async () => {
    const { w, bot, roleId } = await withManagedRole();
    const someone = await member(app, w.serverId);
    const give = await as(
      app,
      w.owner,
      'PUT',
      `/servers/${w.serverId}/members/${someone.id}/roles/${roleId}`,
    );
    expect([give.status, give.body.code]).toEqual([403, 'managed_role']);
    const take = await as(
      app,
      w.owner,
      'DELETE',
      `/servers/${w.serverId}/members/${bot.botId}/roles/${roleId}`,
    );
    expect([take.status, take.body.code]).toEqual([403, 'managed_role']);
    const patchOther = await as(app, w.owner, 'PATCH', `/servers/${w.serverId}/members/${someone.id}`, {
      roles: [roleId],
    });
    expect([patchOther.status, patchOther.body.code]).toEqual([403, 'managed_role']);
    const patchBot = await as(app, w.owner, 'PATCH', `/servers/${w.serverId}/members/${bot.botId}`, {
      roles: [],
    });
    expect([patchBot.status, patchBot.body.code]).toEqual([403, 'managed_role']);
    const del = await as(app, w.owner, 'DELETE', `/servers/${w.serverId}/roles/${roleId}`);
    expect([del.status, del.body.code]).toEqual([403, 'managed_role']);

    const holders = await app.rt.models.MemberRole.findAll({ where: { role_id: roleId } });
    expect(holders.map((h) => h.user_id)).toEqual([bot.botId]);
    const edit = await as(app, w.owner, 'PATCH', `/servers/${w.serverId}/roles/${roleId}`, {
      name: 'renamed',
    });
    expect(edit.status).toBe(200);
    expect(edit.body).toMatchObject({ name: 'renamed', managed: true });
  });
});

describe('what bots may not do', () => {
  it('bots cannot join through invites (403 bots_not_allowed)', async () => {
    const w = await world(app);
    const bot = await makeApplication(app, await person(app));
    const invite = await as(app, w.owner, 'POST', `/channels/${w.channelId}/invites`, {});
    expect(invite.status).toBe(201);
    const res = await asBot(app, bot.token, 'POST', `/invites/${invite.body.code}`);
    expect([res.status, res.body.code]).toEqual([403, 'bots_not_allowed']);
    expect(await isMember(w.serverId, bot.botId)).toBe(false);
    const stored = await app.rt.models.Invite.findByPk(invite.body.code, { rejectOnEmpty: true });
    expect(stored.uses).toBe(0);
    // The preview stays public.
    expect((await asBot(app, bot.token, 'GET', `/invites/${invite.body.code}`)).status).toBe(200);
  });

  it.each([
    ['POST', '/servers', { name: 'bot server' }],
    ['GET', '/users/@me/sessions', undefined],
    ['DELETE', '/users/@me/sessions/1', undefined],
    ['POST', '/users/@me/mfa/totp/enable', {}],
    ['POST', '/users/@me/mfa/totp/confirm', { code: '123456' }],
    ['POST', '/users/@me/mfa/totp/disable', { code: '123456' }],
    ['POST', '/auth/logout', undefined],
    ['GET', '/applications', undefined],
    ['POST', '/servers/1/bots', { application_id: '1' }],
  ])('%s %s is for people only (403 bots_not_allowed)', async (method, path, body) => {
    const bot = await makeApplication(app, await person(app));
    const res = await asBot(app, bot.token, method, path, body);
    expect([res.status, res.body.code]).toEqual([403, 'bots_not_allowed']);
    // Nothing happened: the token still works and the bot owns no server.
    expect((await asBot(app, bot.token, 'GET', '/users/@me')).status).toBe(200);
    expect(await app.rt.models.Server.count({ where: { owner_id: bot.botId } })).toBe(0);
  });

  it('bots cannot have relationships', async () => {
    const bot = await makeApplication(app, await person(app));
    const someone = await person(app);
    const res = await asBot(app, bot.token, 'PUT', `/users/@me/relationships/${someone.id}`, {
      status: 'friend',
    });
    expect([res.status, res.body.code]).toEqual([403, 'bots_cannot_have_relationships']);
  });

  it('the OpenAPI document marks user-only routes as Bearer-only', async () => {
    const res = await fetch(`${app.api}/openapi.json`);
    const doc = (await res.json()) as { paths: Record<string, Record<string, { security?: unknown[] }>> };
    expect(doc.paths['/invites/{code}']?.post?.security).toEqual([{ bearer: [] }]);
    expect(doc.paths['/applications']?.post?.security).toEqual([{ bearer: [] }]);
    expect(doc.paths['/users/@me']?.get?.security).toContainEqual({ bot: [] });
  });
});

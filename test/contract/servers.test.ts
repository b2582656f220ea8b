/**
 * The contract sweep of servers, channels, members, roles and their hierarchy, invites, kicks, bans
 * and the audit log. See harness.ts for what the sweep is and how to run it against another instance.
 */
import { allNotFound, bits, GHOST, makeServer, ownerWithServer, P, register, send } from './fixtures.js';
import { call, formatsEverywhere, sweep } from './harness.js';
import { auditEntries, checkChannel, checkServer, idsOf, type Json } from './shapes.js';

// Bodies are the checker's `Json` (harness.ts), read field by field: lambdas picking a field return `any`.
/* eslint-disable @typescript-eslint/no-unsafe-return */

describe('servers, members, roles, invites', () => {
  sweep('server and channel shapes, @everyone, general, 404 for outsiders', async (s) => {
    const { owner, server, general } = await ownerWithServer(s);
    const outsider = await register(s);
    checkServer(s, server, 'POST /servers answer');
    s.eq(server.owner_id, owner.id, 'creator is owner');
    s.eq(server.member_count, 1, 'member_count of a new server');
    s.invalid(await call('POST', '/servers', owner, {}), 'POST /servers without name', 'name');
    const get = await call('GET', `/servers/${server.id}`, owner);
    s.status(get, 200, 'GET /servers/{id}');
    checkServer(s, get.body, 'GET /servers/{id}');
    checkChannel(s, general, 'general');
    const roles = await call('GET', `/servers/${server.id}/roles`, owner);
    s.status(roles, 200, 'GET roles');
    const everyone = (roles.body as Json[])?.find((r) => r.name === '@everyone');
    s.eq(everyone?.id, server.id, '@everyone role id equals the server id');
    s.perms(everyone?.permissions, '@everyone.permissions');
    const mine = await call('GET', '/users/@me/servers', owner);
    s.eq(idsOf(mine.body), [server.id], 'GET /users/@me/servers');

    await allNotFound(s, outsider, 'outsider', [
      ['GET', `/servers/${server.id}`],
      ['PATCH', `/servers/${server.id}`, { name: 'x' }],
      ['DELETE', `/servers/${server.id}`],
      ['GET', `/servers/${server.id}/channels`],
      ['GET', `/servers/${server.id}/members`],
      ['GET', `/servers/${server.id}/roles`],
      ['GET', `/servers/${server.id}/audit-logs`],
      ['GET', `/servers/${server.id}/emojis`],
      ['GET', `/servers/${server.id}/messages/search?content=x`],
      ['GET', `/channels/${general.id}`],
      ['GET', `/channels/${general.id}/messages`],
      ['POST', `/channels/${general.id}/messages`, { content: 'x' }],
      ['POST', `/channels/${general.id}/invites`, {}],
      ['POST', `/channels/${general.id}/typing`, {}],
      ['GET', `/channels/${general.id}/pins`],
      ['GET', `/channels/${general.id}/webhooks`],
    ]);
    // Ids nothing has: an unknown server, channel and message.
    await allNotFound(s, owner, 'an unknown id', [
      ['GET', `/servers/${GHOST}`],
      ['GET', `/channels/${GHOST}`],
      ['GET', `/channels/${general.id}/messages/${GHOST}`],
    ]);

    // Channels: a category, a channel under it; listed with parent_id and position.
    const cat = await call('POST', `/servers/${server.id}/channels`, owner, {
      name: 'Stuff',
      channel_type: 'category',
    });
    s.status(cat, 201, 'POST /servers/{id}/channels (category)');
    const child = await call('POST', `/servers/${server.id}/channels`, owner, {
      name: 'child',
      channel_type: 'text',
      parent_id: cat.body?.id,
      topic: 't',
      nsfw: true,
      slowmode_seconds: 5,
    });
    s.status(child, 201, 'POST /servers/{id}/channels (child)');
    checkChannel(s, child.body, 'created channel');
    s.eq(
      [child.body?.parent_id, child.body?.topic, child.body?.nsfw, child.body?.slowmode_seconds],
      [cat.body?.id, 't', true, 5],
      'created channel fields',
    );
    s.invalid(
      await call('POST', `/servers/${server.id}/channels`, owner, { name: '', channel_type: 'bogus' }),
      'bad channel',
      'name',
      'channel_type',
    );
    const listed = (await call('GET', `/servers/${server.id}/channels`, owner)).body as Json[];
    s.ok(
      listed?.every((c) => 'parent_id' in c && Number.isInteger(c.position)),
      'channel list has parent_id and position',
    );
    s.eq(listed?.find((c) => c.id === child.body?.id)?.parent_id, cat.body?.id, 'listed parent_id');
    const patched = await call('PATCH', `/channels/${child.body?.id}`, owner, {
      name: 'renamed',
      topic: 'new',
    });
    s.status(patched, 200, 'PATCH /channels/{id}');
    s.eq([patched.body?.name, patched.body?.topic], ['renamed', 'new'], 'PATCH answer');
    const sys = ((await call('GET', `/channels/${child.body?.id}/messages`, owner)).body as Json[]) ?? [];
    s.ok(
      sys.some((m) => m.type === 'channel_name_change'),
      `a rename posts channel_name_change (${JSON.stringify(sys.map((m) => m.type))})`,
    );
    s.status(await call('DELETE', `/channels/${child.body?.id}`, owner), 204, 'DELETE /channels/{id}');
    s.error(await call('GET', `/channels/${child.body?.id}`, owner), 404, 'a deleted channel');

    const srvPatch = await call('PATCH', `/servers/${server.id}`, owner, {
      name: 'Renamed',
      description: 'd',
    });
    s.status(srvPatch, 200, 'PATCH /servers/{id}');
    s.eq([srvPatch.body?.name, srvPatch.body?.description], ['Renamed', 'd'], 'PATCH server answer');
  });

  sweep('members, roles and hierarchy, kicks, bans, invites, audit log', 60_000, async (s) => {
    const owner = await register(s);
    const mod = await register(s);
    const member = await register(s);
    const { server, general } = await makeServer(s, owner);
    const invite = await call('POST', `/channels/${general.id}/invites`, owner, {
      max_age: 3600,
      max_uses: 5,
    });
    s.oneOf(invite, [200, 201], 'POST invites');
    s.ok(typeof invite.body?.code === 'string', 'invite.code');
    s.eq([invite.body?.max_age, invite.body?.max_uses], [3600, 5], 'invite max_age/max_uses echoed');
    const preview = await call('GET', `/invites/${invite.body.code}`, mod);
    s.status(preview, 200, 'GET /invites/{code}');
    s.ok(JSON.stringify(preview.body).includes(server.id), 'the preview names the server');
    const join1 = await call('POST', `/invites/${invite.body.code}`, mod);
    s.oneOf(join1, [200, 201], 'join');
    await call('POST', `/invites/${invite.body.code}`, member);
    s.error(await call('GET', '/invites/nope-not-a-code', mod), 404, 'an unknown invite');
    const sysJoin = ((await call('GET', `/channels/${general.id}/messages`, owner)).body as Json[]) ?? [];
    s.ok(
      sysJoin.some((m) => m.type === 'member_join'),
      `joining posts member_join (${JSON.stringify(sysJoin.map((m) => m.type))})`,
    );

    // Roles: create two, ordered by position.
    const high = await call('POST', `/servers/${server.id}/roles`, owner, {
      name: 'high',
      permissions: bits(P.KICK_MEMBERS),
    });
    s.oneOf(high, [200, 201], 'POST roles');
    s.perms(high.body?.permissions, 'role.permissions');
    s.snowflake(high.body?.id, 'role.id');
    const modRole = await call('POST', `/servers/${server.id}/roles`, owner, {
      name: 'mod',
      permissions: bits(
        P.MANAGE_ROLES,
        P.KICK_MEMBERS,
        P.MANAGE_SERVER,
        P.MODERATE_MEMBERS,
        P.VIEW_AUDIT_LOG,
        P.MANAGE_NICKNAMES,
      ),
    });
    const low = await call('POST', `/servers/${server.id}/roles`, owner, { name: 'low', permissions: '0' });
    s.invalid(
      await call('POST', `/servers/${server.id}/roles`, owner, { name: 'x', permissions: 'lots' }),
      'role with bad permissions',
      'permissions',
    );
    // Put them in order: high above mod above low.
    const roles = ((await call('GET', `/servers/${server.id}/roles`, owner)).body as Json[]) ?? [];
    const positions = roles.map((r) => r.position);
    s.eq(
      positions,
      [...positions].sort((x, y) => x - y),
      'roles ordered by position',
    );
    const order = [
      { id: low.body.id, position: 1 },
      { id: modRole.body.id, position: 2 },
      { id: high.body.id, position: 3 },
    ];
    for (const r of order)
      await call('PATCH', `/servers/${server.id}/roles/${r.id}`, owner, { position: r.position });
    const assign = await call(
      'PUT',
      `/servers/${server.id}/members/${mod.id}/roles/${modRole.body.id}`,
      owner,
    );
    s.status(assign, 204, 'PUT member role');
    const modMember = await call('GET', `/servers/${server.id}/members/${mod.id}`, owner);
    s.status(modMember, 200, 'GET member');
    s.ok(
      (modMember.body?.roles ?? []).includes(modRole.body.id),
      `member.roles ${JSON.stringify(modMember.body?.roles)}`,
    );
    s.ok(modMember.body?.user?.id === mod.id || modMember.body?.user_id === mod.id, 'member names its user');

    // Hierarchy: strictly below the caller's highest role.
    s.error(
      await call('PATCH', `/servers/${server.id}/roles/${high.body.id}`, mod, { name: 'nope' }),
      403,
      'mod edits a higher role',
    );
    s.error(
      await call('PATCH', `/servers/${server.id}/roles/${modRole.body.id}`, mod, { name: 'nope' }),
      403,
      'mod edits its own (equal) role',
    );
    s.status(
      await call('PATCH', `/servers/${server.id}/roles/${low.body.id}`, mod, { name: 'lower' }),
      200,
      'mod edits a lower role',
    );
    s.error(
      await call('PUT', `/servers/${server.id}/members/${member.id}/roles/${high.body.id}`, mod),
      403,
      'mod assigns a higher role',
    );
    s.status(
      await call('PUT', `/servers/${server.id}/members/${member.id}/roles/${low.body.id}`, mod),
      204,
      'mod assigns a lower role',
    );
    s.status(
      await call('DELETE', `/servers/${server.id}/members/${member.id}/roles/${low.body.id}`, mod),
      204,
      'DELETE member role',
    );
    s.error(
      await call('DELETE', `/servers/${server.id}/members/${owner.id}`, mod),
      403,
      'mod kicks the owner',
    );
    // A fellow moderator (same highest role) is not strictly below.
    const peer = await register(s);
    await call('POST', `/invites/${invite.body.code}`, peer);
    await call('PUT', `/servers/${server.id}/members/${peer.id}/roles/${modRole.body.id}`, owner);
    s.error(
      await call('DELETE', `/servers/${server.id}/members/${peer.id}`, mod),
      403,
      'mod kicks a fellow mod',
    );
    s.error(
      await call('PATCH', `/servers/${server.id}/members/${peer.id}`, mod, {
        communication_disabled_until: Math.floor(Date.now() / 1000) + 60,
      }),
      403,
      'mod times out a fellow mod',
    );
    s.status(
      await call('DELETE', `/servers/${server.id}/members/${peer.id}`, owner),
      204,
      'the owner kicks a mod',
    );
    // Missing permission: 403 naming it.
    const noPerm = await call('PATCH', `/servers/${server.id}`, member, { name: 'x' });
    s.error(noPerm, 403, 'a member without MANAGE_SERVER');
    s.ok(
      JSON.stringify(noPerm.body).includes('MANAGE_SERVER'),
      `403 does not name MANAGE_SERVER: ${JSON.stringify(noPerm.body)}`,
    );
    s.error(await call('DELETE', `/servers/${server.id}`, mod), 403, 'a non-owner deletes the server');

    // Members: paginated by user id.
    const all = await call('GET', `/servers/${server.id}/members`, mod);
    s.status(all, 200, 'GET members');
    const ids = ((all.body as Json[]) ?? []).map((m) => m.user?.id ?? m.user_id);
    s.eq(ids.length, 3, 'three members');
    s.eq(
      ids,
      [...ids].sort((x, y) => (BigInt(x) < BigInt(y) ? -1 : 1)),
      'members in user id order',
    );
    const page = await call('GET', `/servers/${server.id}/members?limit=1&after=${ids[0]}`, mod);
    s.eq(
      ((page.body as Json[]) ?? []).map((m) => m.user?.id ?? m.user_id),
      [ids[1]],
      'members after, limit 1',
    );
    s.invalid(await call('GET', `/servers/${server.id}/members?limit=0`, mod), 'members limit=0', 'limit');
    s.invalid(
      await call('GET', `/servers/${server.id}/members?limit=101`, mod),
      'members limit=101',
      'limit',
    );

    // Member PATCH: nick, timeout. A timed-out member keeps only VIEW_CHANNEL and READ_MESSAGE_HISTORY.
    const nick = await call('PATCH', `/servers/${server.id}/members/${member.id}`, mod, { nick: 'nicky' });
    s.status(nick, 200, 'PATCH member nick');
    s.eq(nick.body?.nick, 'nicky', 'member.nick');
    const until = Math.floor(Date.now() / 1000) + 600;
    const timeout = await call('PATCH', `/servers/${server.id}/members/${member.id}`, mod, {
      communication_disabled_until: until,
    });
    s.status(timeout, 200, 'PATCH member timeout');
    s.error(await send(member, general.id, { content: 'muted?' }), 403, 'a timed-out member sends');
    s.status(
      await call('GET', `/channels/${general.id}/messages`, member),
      200,
      'a timed-out member reads history',
    );
    await call('PATCH', `/servers/${server.id}/members/${member.id}`, mod, {
      communication_disabled_until: null,
    });
    s.ok([200, 201].includes((await send(member, general.id, { content: 'free' })).status), 'timeout lifted');

    // Kick, ban, unban.
    s.status(await call('DELETE', `/servers/${server.id}/members/${member.id}`, mod), 204, 'kick');
    s.error(await call('GET', `/servers/${server.id}`, member), 404, 'a kicked member sees the server');
    await call('POST', `/invites/${invite.body.code}`, member);
    const ban = await call('PUT', `/servers/${server.id}/bans/${member.id}`, owner, {
      delete_message_seconds: 3600,
    });
    s.status(ban, 204, 'PUT ban');
    const rejoin = await call('POST', `/invites/${invite.body.code}`, member);
    s.oneOf(rejoin, [403, 404], 'a banned user joins');
    s.status(await call('DELETE', `/servers/${server.id}/bans/${member.id}`, owner), 204, 'unban');

    // Audit log, filterable by user and action, paginated.
    const audit = await call('GET', `/servers/${server.id}/audit-logs`, owner);
    s.status(audit, 200, 'GET audit-logs');
    const entries = auditEntries(audit.body);
    s.ok(
      Array.isArray(entries) && entries.length > 0,
      `audit log entries: ${JSON.stringify(audit.body)?.slice(0, 200)}`,
    );
    for (const e of (entries ?? []).slice(0, 3)) s.created(e, 'audit entry');
    const byMod = await call('GET', `/servers/${server.id}/audit-logs?user_id=${mod.id}`, owner);
    const modEntries = auditEntries(byMod.body) ?? [];
    s.ok(modEntries.length > 0 && modEntries.every((e) => e.user_id === mod.id), 'audit filtered by user_id');
    const idsDesc = (entries ?? []).map((e) => BigInt(e.id));
    s.ok(
      idsDesc.every((v, i) => i === 0 || v < idsDesc[i - 1]!),
      'audit log newest first',
    );
    s.error(
      await call('GET', `/servers/${server.id}/audit-logs`, member),
      404,
      'a non-member reads the audit log',
    );
  });
});

formatsEverywhere(30);

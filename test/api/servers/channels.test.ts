import { invalidate } from '../../../shared/domain/invalidation.js';
import { Permission } from '../../../shared/permissions/index.js';
import { decodeSnowflake } from '../../../shared/snowflake.js';
import { useTestApp } from '../../helpers/app.js';
import { api, registerUser, type TestUser } from '../../helpers/accounts.js';
import { addMember, addRole, makeServer } from './helpers.js';

const app = useTestApp({ workers: false, gateway: false });

const createChannel = (user: TestUser, serverId: string, body: Record<string, unknown>) =>
  api(app, 'POST', `/servers/${serverId}/channels`, { token: user.token, body });
const setOverwrite = (user: TestUser, channelId: string, targetId: string, body: Record<string, unknown>) =>
  api(app, 'PUT', `/channels/${channelId}/permissions/${targetId}`, { token: user.token, body });
const listIds = async (user: TestUser, serverId: string): Promise<string[]> => {
  const res = await api(app, 'GET', `/servers/${serverId}/channels`, { token: user.token });
  expect(res.status).toBe(200);
  return (res.body as { id: string }[]).map((c) => c.id);
};

describe('creating channels', () => {
  it('channels created at once each go last in turn: no two share a position', async () => {
    const owner = await registerUser(app);
    const { serverId } = await makeServer(app, owner);
    const made = await Promise.all(
      Array.from({ length: 8 }, (_, i) =>
        createChannel(owner, serverId, { name: `c${i}`, channel_type: 'text' }),
      ),
    );
    expect(made.map((r) => r.status)).toEqual(Array(8).fill(201));
    const positions = made.map((r) => r.body.position as number).sort((a, b) => a - b);
    expect(positions).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
  });

  it('creates text, voice and category channels; parents must be categories of the same server', async () => {
    const owner = await registerUser(app);
    const { serverId, generalId } = await makeServer(app, owner);
    const category = await createChannel(owner, serverId, { name: 'Info', channel_type: 'category' });
    expect(category.status).toBe(201);
    expect(category.body).toEqual({
      id: expect.any(String),
      server_id: serverId,
      parent_id: null,
      name: 'Info',
      channel_type: 'category',
      topic: null,
      position: 1,
      nsfw: false,
      slowmode_seconds: 0,
      created_at: decodeSnowflake(category.body.id as string).createdAt,
      permission_overwrites: [],
    });
    const text = await createChannel(owner, serverId, {
      name: 'rules',
      channel_type: 'text',
      parent_id: category.body.id,
      topic: 'read me',
      nsfw: true,
      slowmode_seconds: 21600,
      position: 5,
    });
    expect([text.status, text.body]).toEqual([
      201,
      expect.objectContaining({
        parent_id: category.body.id,
        topic: 'read me',
        nsfw: true,
        slowmode_seconds: 21600,
        position: 5,
      }),
    ]);
    const voice = await createChannel(owner, serverId, { name: 'Lounge', channel_type: 'voice' });
    expect([voice.status, voice.body.channel_type, voice.body.position]).toEqual([201, 'voice', 6]);

    // Bad parents: a text channel, a category of another server, any parent for a category.
    const other = await makeServer(app, owner);
    const otherCategory = await createChannel(owner, other.serverId, { name: 'c', channel_type: 'category' });
    for (const body of [
      { name: 'x', channel_type: 'text', parent_id: generalId },
      { name: 'x', channel_type: 'text', parent_id: otherCategory.body.id },
      { name: 'x', channel_type: 'text', parent_id: '1234567890123456789' },
      { name: 'x', channel_type: 'category', parent_id: category.body.id },
    ]) {
      const res = await createChannel(owner, serverId, body);
      expect([res.status, Object.keys(res.body.errors as object)]).toEqual([400, ['parent_id']]);
    }

    const logs = await app.rt.models.AuditLog.findAll({
      where: { server_id: serverId, action: 'channel_create' },
      order: [['id', 'ASC']],
    });
    expect(logs.map((l) => l.target_id)).toEqual([category.body.id, text.body.id, voice.body.id]);
    expect(logs[1]?.changes).toEqual(
      expect.arrayContaining([
        { key: 'name', new: 'rules' },
        { key: 'parent_id', new: category.body.id },
        { key: 'slowmode_seconds', new: 21600 },
      ]),
    );
    expect(logs[1]?.actor_id).toBe(owner.id);
  });

  it('a channel created in a category starts with copies of its overwrites', async () => {
    const owner = await registerUser(app);
    const member = await registerUser(app);
    const { serverId } = await makeServer(app, owner);
    await addMember(app, serverId, member.id);
    const category = await createChannel(owner, serverId, { name: 'Staff', channel_type: 'category' });
    const hide = { type: 'role', allow: '0', deny: String(Permission.VIEW_CHANNEL) };
    expect((await setOverwrite(owner, category.body.id as string, serverId, hide)).status).toBe(204);
    const inside = await createChannel(owner, serverId, {
      name: 'staff-chat',
      channel_type: 'text',
      parent_id: category.body.id,
    });
    expect(inside.body.permission_overwrites).toEqual([{ id: serverId, ...hide }]);
    expect(await listIds(member, serverId)).not.toContain(inside.body.id);
    const outside = await createChannel(owner, serverId, { name: 'lobby', channel_type: 'text' });
    expect(outside.body.permission_overwrites).toEqual([]);
    // Copies, not links: opening the category later leaves the channel as it was.
    await api(app, 'DELETE', `/channels/${category.body.id}/permissions/${serverId}`, { token: owner.token });
    expect(await listIds(member, serverId)).not.toContain(inside.body.id);
  });

  it('validates the body, naming each field', async () => {
    const owner = await registerUser(app);
    const { serverId } = await makeServer(app, owner);
    for (const [body, fields] of [
      [{}, ['channel_type', 'name']],
      [{ name: '', channel_type: 'forum' }, ['channel_type', 'name']],
      [{ name: 'x'.repeat(101), channel_type: 'text' }, ['name']],
      [{ name: 'x', channel_type: 'text', slowmode_seconds: 21601 }, ['slowmode_seconds']],
      [
        { name: 'x', channel_type: 'text', slowmode_seconds: -1, nsfw: 'maybe' },
        ['nsfw', 'slowmode_seconds'],
      ],
      [
        { name: 'x', channel_type: 'text', topic: 'x'.repeat(1025), parent_id: 'abc' },
        ['parent_id', 'topic'],
      ],
    ] as const) {
      const res = await createChannel(owner, serverId, body);
      expect([res.status, Object.keys(res.body.errors as object).sort()]).toEqual([400, [...fields]]);
    }
  });

  it('needs MANAGE_CHANNELS (403 naming it); non-members get 404', async () => {
    const [owner, member, stranger] = [
      await registerUser(app),
      await registerUser(app),
      await registerUser(app),
    ];
    const { serverId } = await makeServer(app, owner);
    await addMember(app, serverId, member.id);
    const denied = await createChannel(member, serverId, { name: 'x', channel_type: 'text' });
    expect([denied.status, denied.body.permission]).toEqual([403, 'MANAGE_CHANNELS']);
    const unknown = await createChannel(stranger, serverId, { name: 'x', channel_type: 'text' });
    expect(unknown.status).toBe(404);
    await app.rt.models.MemberRole.create({
      server_id: serverId,
      user_id: member.id,
      role_id: await addRole(app, serverId, Permission.MANAGE_CHANNELS),
    });
    await invalidate(app.rt, { servers: [serverId] });
    const ok = await createChannel(member, serverId, { name: 'x', channel_type: 'text' });
    expect(ok.status).toBe(201);
  });
});

describe('viewing channels', () => {
  it('overwrites decide: @everyone deny hides, a role allow re-grants, a member overwrite beats roles', async () => {
    const [owner, plain, withRole] = [
      await registerUser(app),
      await registerUser(app),
      await registerUser(app),
    ];
    const { serverId, generalId } = await makeServer(app, owner);
    const roleId = await addRole(app, serverId, 0n);
    await addMember(app, serverId, plain.id);
    await addMember(app, serverId, withRole.id, [roleId]);
    const secret = await createChannel(owner, serverId, { name: 'secret', channel_type: 'text' });
    const secretId = secret.body.id as string;
    const view = String(Permission.VIEW_CHANNEL);

    expect(await listIds(plain, serverId)).toEqual([generalId, secretId]);
    const hide = await setOverwrite(owner, secretId, serverId, { type: 'role', allow: '0', deny: view });
    expect(hide.status).toBe(204);
    expect(await listIds(plain, serverId)).toEqual([generalId]);
    const hidden = await api(app, 'GET', `/channels/${secretId}`, { token: plain.token });
    expect([hidden.status, hidden.body.code]).toEqual([404, 'unknown_channel']);
    expect(hidden.body).not.toHaveProperty('name');
    // The owner still sees it.
    expect(await listIds(owner, serverId)).toEqual([generalId, secretId]);

    // A role allow re-grants it to the role's holders only.
    expect(await listIds(withRole, serverId)).toEqual([generalId]);
    await setOverwrite(owner, secretId, roleId, { type: 'role', allow: view, deny: '0' });
    expect(await listIds(withRole, serverId)).toEqual([generalId, secretId]);
    const seen = await api(app, 'GET', `/channels/${secretId}`, { token: withRole.token });
    expect([seen.status, seen.body.name]).toEqual([200, 'secret']);
    expect(await listIds(plain, serverId)).toEqual([generalId]);

    // A member overwrite beats role overwrites, both ways.
    await setOverwrite(owner, secretId, withRole.id, { type: 'member', allow: '0', deny: view });
    expect(await listIds(withRole, serverId)).toEqual([generalId]);
    await setOverwrite(owner, secretId, plain.id, { type: 'member', allow: view, deny: '0' });
    expect(await listIds(plain, serverId)).toEqual([generalId, secretId]);

    // Hidden channels cannot be edited or deleted either: 404, even with MANAGE_CHANNELS.
    await app.rt.models.MemberRole.create({
      server_id: serverId,
      user_id: withRole.id,
      role_id: await addRole(app, serverId, Permission.MANAGE_CHANNELS | Permission.MANAGE_ROLES, 2),
    });
    await invalidate(app.rt, { servers: [serverId] });
    for (const [method, body] of [
      ['PATCH', { name: 'x' }],
      ['DELETE', undefined],
    ] as const) {
      const res = await api(app, method, `/channels/${secretId}`, { token: withRole.token, body });
      expect([method, res.status]).toEqual([method, 404]);
    }
  });

  it('GET /channels/{id}: non-members get 404; DMs are for their recipients only', async () => {
    const [owner, stranger, friend] = [
      await registerUser(app),
      await registerUser(app),
      await registerUser(app),
    ];
    const { generalId } = await makeServer(app, owner);
    const own = await api(app, 'GET', `/channels/${generalId}`, { token: owner.token });
    expect([own.status, own.body.name, own.body.channel_type]).toEqual([200, 'general', 'text']);
    const res = await api(app, 'GET', `/channels/${generalId}`, { token: stranger.token });
    expect([res.status, res.body.code]).toEqual([404, 'unknown_channel']);

    const dm = await api(app, 'POST', '/users/@me/channels', {
      token: owner.token,
      body: { recipient_id: friend.id },
    });
    const asFriend = await api(app, 'GET', `/channels/${dm.body.id}`, { token: friend.token });
    expect([asFriend.status, asFriend.body.channel_type, asFriend.body.recipients]).toEqual([
      200,
      'dm',
      [expect.objectContaining({ id: owner.id })],
    ]);
    const asStranger = await api(app, 'GET', `/channels/${dm.body.id}`, { token: stranger.token });
    expect(asStranger.status).toBe(404);
    const patchDm = await api(app, 'PATCH', `/channels/${dm.body.id}`, {
      token: friend.token,
      body: { name: 'x' },
    });
    expect([patchDm.status, patchDm.body.permission]).toEqual([403, 'MANAGE_CHANNELS']);
    const notes = await api(app, 'GET', '/users/@me/notes', { token: stranger.token });
    const ownNotes = await api(app, 'GET', `/channels/${notes.body.id}`, { token: stranger.token });
    expect([ownNotes.status, ownNotes.body.recipients]).toEqual([200, []]);
    const othersNotes = await api(app, 'GET', `/channels/${notes.body.id}`, { token: owner.token });
    expect(othersNotes.status).toBe(404);
  });
});

describe('updating, reordering and deleting channels', () => {
  it('PATCH updates fields, audits the diff, and needs MANAGE_CHANNELS in the channel', async () => {
    const [owner, member] = [await registerUser(app), await registerUser(app)];
    const { serverId, generalId } = await makeServer(app, owner);
    await addMember(app, serverId, member.id);
    const category = await createChannel(owner, serverId, { name: 'cat', channel_type: 'category' });
    const denied = await api(app, 'PATCH', `/channels/${generalId}`, {
      token: member.token,
      body: { name: 'x' },
    });
    expect([denied.status, denied.body.permission]).toEqual([403, 'MANAGE_CHANNELS']);
    // A channel overwrite granting MANAGE_CHANNELS is enough there.
    await setOverwrite(owner, generalId, member.id, {
      type: 'member',
      allow: String(Permission.MANAGE_CHANNELS),
      deny: '0',
    });
    const res = await api(app, 'PATCH', `/channels/${generalId}`, {
      token: member.token,
      body: { name: 'lobby', topic: 'hi', slowmode_seconds: 30, parent_id: category.body.id, nsfw: true },
      headers: { 'x-audit-log-reason': 'tidy' },
    });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({
      id: generalId,
      name: 'lobby',
      topic: 'hi',
      slowmode_seconds: 30,
      parent_id: category.body.id,
      nsfw: true,
    });
    const log = await app.rt.models.AuditLog.findOne({
      where: { server_id: serverId, action: 'channel_update' },
    });
    expect(log).toMatchObject({ actor_id: member.id, target_id: generalId, reason: 'tidy' });
    expect(log?.changes).toEqual([
      { key: 'name', old: 'general', new: 'lobby' },
      { key: 'parent_id', old: null, new: category.body.id },
      { key: 'topic', old: null, new: 'hi' },
      { key: 'nsfw', old: false, new: true },
      { key: 'slowmode_seconds', old: 0, new: 30 },
    ]);
    const bad = await api(app, 'PATCH', `/channels/${category.body.id}`, {
      token: owner.token,
      body: { parent_id: category.body.id },
    });
    expect([bad.status, Object.keys(bad.body.errors as object)]).toEqual([400, ['parent_id']]);
    const badFields = await api(app, 'PATCH', `/channels/${generalId}`, {
      token: owner.token,
      body: { slowmode_seconds: 21601, name: '' },
    });
    expect([badFields.status, Object.keys(badFields.body.errors as object).sort()]).toEqual([
      400,
      ['name', 'slowmode_seconds'],
    ]);
  });

  it('PATCH /servers/{id}/channels reorders, moves between categories and audits each change', async () => {
    const [owner, member] = [await registerUser(app), await registerUser(app)];
    const { serverId, generalId } = await makeServer(app, owner);
    await addMember(app, serverId, member.id);
    const a = (await createChannel(owner, serverId, { name: 'a', channel_type: 'text' })).body.id as string;
    const cat = (await createChannel(owner, serverId, { name: 'c', channel_type: 'category' })).body
      .id as string;
    expect(await listIds(owner, serverId)).toEqual([generalId, a, cat]);

    const reorder = (user: TestUser, body: unknown) =>
      api(app, 'PATCH', `/servers/${serverId}/channels`, { token: user.token, body });
    const denied = await reorder(member, [{ id: a, position: 0 }]);
    expect([denied.status, denied.body.permission]).toEqual([403, 'MANAGE_CHANNELS']);
    const ok = await reorder(owner, [
      { id: cat, position: 0 },
      { id: generalId, position: 1, parent_id: cat },
      { id: a, position: 2 },
    ]);
    expect(ok.status).toBe(204);
    expect(await listIds(owner, serverId)).toEqual([cat, generalId, a]);
    const general = await api(app, 'GET', `/channels/${generalId}`, { token: owner.token });
    expect(general.body).toMatchObject({ parent_id: cat, position: 1 });
    const logs = await app.rt.models.AuditLog.findAll({
      where: { server_id: serverId, action: 'channel_update' },
      order: [['id', 'ASC']],
    });
    expect(logs.map((l) => [l.target_id, l.changes])).toEqual([
      [cat, [{ key: 'position', old: 2, new: 0 }]],
      [
        generalId,
        [
          { key: 'parent_id', old: null, new: cat },
          { key: 'position', old: 0, new: 1 },
        ],
      ],
      [a, [{ key: 'position', old: 1, new: 2 }]],
    ]);

    const other = await makeServer(app, owner);
    for (const [body, field] of [
      [[{ id: other.generalId, position: 0 }], '0.id'],
      [
        [
          { id: a, position: 0 },
          { id: cat, position: 1, parent_id: cat },
        ],
        '1.parent_id',
      ],
      [[{ id: a, position: -1 }], '0.position'],
      [[], 'body'],
      [{ id: a, position: 0 }, 'body'],
      [
        [
          { id: a, position: 0 },
          { id: a, position: 1 },
        ],
        '1',
      ],
    ] as const) {
      const res = await reorder(owner, body);
      expect([res.status, Object.keys(res.body.errors as object)]).toEqual([400, [field]]);
    }
  });

  it('DELETE removes the channel (audited), orphans the children of a category', async () => {
    const [owner, member] = [await registerUser(app), await registerUser(app)];
    const { serverId, generalId } = await makeServer(app, owner);
    await addMember(app, serverId, member.id);
    const cat = (await createChannel(owner, serverId, { name: 'c', channel_type: 'category' })).body
      .id as string;
    const child = (await createChannel(owner, serverId, { name: 'k', channel_type: 'text', parent_id: cat }))
      .body.id as string;
    const denied = await api(app, 'DELETE', `/channels/${generalId}`, { token: member.token });
    expect([denied.status, denied.body.permission]).toEqual([403, 'MANAGE_CHANNELS']);
    const res = await api(app, 'DELETE', `/channels/${cat}`, { token: owner.token });
    expect(res.status).toBe(204);
    expect(await app.rt.models.Channel.findByPk(cat)).toBeNull();
    expect((await app.rt.models.Channel.findByPk(child))?.parent_id).toBeNull();
    const gone = await api(app, 'GET', `/channels/${cat}`, { token: owner.token });
    expect(gone.status).toBe(404);
    const log = await app.rt.models.AuditLog.findOne({
      where: { server_id: serverId, action: 'channel_delete' },
    });
    expect(log).toMatchObject({ actor_id: owner.id, target_id: cat });
    expect(log?.changes).toEqual(
      expect.arrayContaining([
        { key: 'name', old: 'c' },
        { key: 'channel_type', old: 'category' },
      ]),
    );
  });
});

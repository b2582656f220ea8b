import { moveServerEpochs } from '../../../shared/domain/invalidation.js';
import { cachedChannel, underServerEpoch } from '../../../shared/permissions/facts-cache.js';
import { Permission, ServerPolicy, has } from '../../../shared/permissions/index.js';
import { api } from '../../helpers/accounts.js';
import { startTestApp, type TestApp } from '../../helpers/app.js';
import { makeRole, member, world } from '../../api/servers/membership-helpers.js';

let app: TestApp;

beforeAll(async () => {
  app = await startTestApp({ workers: false, gateway: false });
}, 60_000);

afterAll(() => app?.close());

const may = async (serverId: string, userId: string, bit: bigint) =>
  has((await ServerPolicy.load(app.rt, serverId, userId)).permissions, bit);

describe('member facts cache', () => {
  it('is read on the next load (a write that bypasses the models is not seen)', async () => {
    const w = await world(app);
    const role = await makeRole(app, w.serverId, { position: 1, permissions: Permission.KICK_MEMBERS });
    const mod = await member(app, w.serverId, [role.id]);
    expect(await may(w.serverId, mod.id, Permission.KICK_MEMBERS)).toBe(true);
    // Raw SQL skips the hooks: the cached facts still answer, which shows the cache is used...
    await app.rt.sequelize.query('UPDATE roles SET permissions = 0 WHERE id = :id', {
      replacements: { id: role.id },
    });
    expect(await may(w.serverId, mod.id, Permission.KICK_MEMBERS)).toBe(true);
    // ...and any write through the models moves the server's epoch.
    await role.update({ name: 'renamed' });
    expect(await may(w.serverId, mod.id, Permission.KICK_MEMBERS)).toBe(false);
  });

  it('sees role, membership and timeout changes at once', async () => {
    const w = await world(app);
    const role = await makeRole(app, w.serverId, { position: 1, permissions: Permission.BAN_MEMBERS });
    const someone = await member(app, w.serverId);
    expect(await may(w.serverId, someone.id, Permission.BAN_MEMBERS)).toBe(false);
    await app.rt.models.MemberRole.create({ server_id: w.serverId, user_id: someone.id, role_id: role.id });
    expect(await may(w.serverId, someone.id, Permission.BAN_MEMBERS)).toBe(true);
    // A bulk delete whose where names no server moves every epoch.
    await app.rt.models.MemberRole.destroy({ where: { role_id: role.id } });
    expect(await may(w.serverId, someone.id, Permission.BAN_MEMBERS)).toBe(false);
    const row = await app.rt.models.Member.findOne({ where: { server_id: w.serverId, user_id: someone.id } });
    await row!.update({ timeout_until: new Date(Date.now() + 60_000) });
    expect(await may(w.serverId, someone.id, Permission.SEND_MESSAGES)).toBe(false);
    await app.rt.models.Member.destroy({ where: { server_id: w.serverId, user_id: someone.id } });
    await expect(ServerPolicy.load(app.rt, w.serverId, someone.id)).rejects.toMatchObject({ status: 404 });
  });

  it('moves the epoch only once a transaction commits', async () => {
    const w = await world(app);
    const role = await makeRole(app, w.serverId, { position: 1, permissions: 0n });
    const someone = await member(app, w.serverId, [role.id]);
    expect(await may(w.serverId, someone.id, Permission.MANAGE_ROLES)).toBe(false);
    await app.rt.sequelize.transaction(async (transaction) => {
      await role.update({ permissions: String(Permission.MANAGE_ROLES) }, { transaction });
      // Not committed: readers outside the transaction still see (and may cache) the old row.
      expect(await may(w.serverId, someone.id, Permission.MANAGE_ROLES)).toBe(false);
    });
    expect(await may(w.serverId, someone.id, Permission.MANAGE_ROLES)).toBe(true);
  });

  it('revives the server row with its dates', async () => {
    const w = await world(app);
    const first = await ServerPolicy.load(app.rt, w.serverId, w.owner.id);
    const cached = await ServerPolicy.load(app.rt, w.serverId, w.owner.id);
    expect(cached.server.created_at).toBeInstanceOf(Date);
    expect(cached.server.created_at.getTime()).toBe(first.server.created_at.getTime());
    expect(cached.isOwner).toBe(true);
  });

  it('caches channel rows and overwrites under the channel’s epoch', async () => {
    const w = await world(app);
    const someone = await member(app, w.serverId);
    const channel = await app.rt.models.Channel.findByPk(w.channelId, { rejectOnEmpty: true });
    const canView = async () =>
      has(
        await (
          await ServerPolicy.load(app.rt, w.serverId, someone.id)
        ).channelPermissions((await cachedChannel(app.rt, w.channelId))!),
        Permission.VIEW_CHANNEL,
      );
    expect(await canView()).toBe(true);
    // Raw SQL skips the hooks: the cached row still answers...
    await app.rt.sequelize.query("UPDATE channels SET name = 'sneaky' WHERE id = :id", {
      replacements: { id: w.channelId },
    });
    expect((await cachedChannel(app.rt, w.channelId))?.name).toBe('general');
    // ...a write through the model moves the channel's epoch, and the revived row keeps its dates.
    await channel.update({ topic: 'new topic' });
    const fresh = await cachedChannel(app.rt, w.channelId);
    expect(fresh?.name).toBe('sneaky');
    expect((await cachedChannel(app.rt, w.channelId))?.created_at).toBeInstanceOf(Date);
    // An overwrite denying the member is seen at once.
    await app.rt.models.PermissionOverwrite.create({
      channel_id: w.channelId,
      target_id: someone.id,
      type: 'member',
      allow: '0',
      deny: String(Permission.VIEW_CHANNEL),
    } as never);
    expect(await canView()).toBe(false);
    await app.rt.models.PermissionOverwrite.destroy({ where: { channel_id: w.channelId } });
    expect(await canView()).toBe(true);
  });

  it('caches member list pages under the server epoch; member and user writes are seen at once', async () => {
    const w = await world(app);
    const someone = await member(app, w.serverId);
    type Listed = { user: { id: string; username: string }; nick: string | null };
    const list = async () =>
      (await api(app, 'GET', `/servers/${w.serverId}/members`, { token: w.owner.token })).body as Listed[];
    const nickOf = async () => (await list()).find((m) => m.user.id === someone.id)?.nick ?? null;
    expect(await nickOf()).toBeNull();
    // Raw SQL skips the hooks: the cached page still answers...
    await app.rt.sequelize.query("UPDATE members SET nick = 'raw' WHERE user_id = :id", {
      replacements: { id: someone.id },
    });
    expect(await nickOf()).toBeNull();
    // ...a member write through the model moves the server's epoch.
    const row = await app.rt.models.Member.findOne({ where: { server_id: w.serverId, user_id: someone.id } });
    await row!.update({ nick: 'model' });
    expect(await nickOf()).toBe('model');
    // The user's own name is in the list: a user write moves the epochs of their servers.
    const user = await app.rt.models.User.findByPk(someone.id, { rejectOnEmpty: true });
    await user.update({ username: `renamed_${someone.id.slice(-6)}` });
    expect((await list()).find((m) => m.user.id === someone.id)?.user.username).toBe(user.username);
  });

  it('a profile edit moves only the caches of the editor’s servers; other servers keep theirs', async () => {
    const mine = await world(app);
    const elsewhere = await world(app);
    const someone = await member(app, mine.serverId);
    const prefix = app.config.redis.key_prefix;
    /** The member list page as cached in Redis, and whether it is still current for its server. */
    const cachedPage = async (serverId: string) => {
      const [serverEpoch, globalEpoch, raw] = await app.rt.redis.mget(
        `${prefix}:perm-epoch:${serverId}`,
        `${prefix}:perm-epoch`,
        `${prefix}:server-cache:${serverId}:members::50`,
      );
      const entry = raw
        ? (JSON.parse(raw) as { epoch: string; value: { user: { username: string } }[] })
        : null;
      return { current: entry?.epoch === `${serverEpoch ?? 0}.${globalEpoch ?? 0}`, entry };
    };
    for (const w of [mine, elsewhere]) {
      expect((await api(app, 'GET', `/servers/${w.serverId}/members`, { token: w.owner.token })).status).toBe(
        200,
      );
      expect((await cachedPage(w.serverId)).current).toBe(true);
    }
    await ServerPolicy.load(app.rt, elsewhere.serverId, elsewhere.owner.id);
    const factsKey = `${prefix}:member-facts:${elsewhere.serverId}:${elsewhere.owner.id}`;
    const factsBefore = await app.rt.redis.get(factsKey);

    const renamed = `moved_${someone.id.slice(-8)}`;
    const patched = await api(app, 'PATCH', '/users/@me', {
      token: someone.token,
      body: { username: renamed },
    });
    expect(patched.status).toBe(200);

    // The other server's cached list and member facts are still current, untouched.
    expect((await cachedPage(elsewhere.serverId)).current).toBe(true);
    expect(await app.rt.redis.get(factsKey)).toBe(factsBefore);
    const [elsewhereEpoch, globalEpoch] = await app.rt.redis.mget(
      `${prefix}:perm-epoch:${elsewhere.serverId}`,
      `${prefix}:perm-epoch`,
    );
    const stillCurrent = JSON.parse(factsBefore ?? '{}') as { epoch?: string };
    expect(stillCurrent.epoch).toBe(`${elsewhereEpoch ?? 0}.${globalEpoch ?? 0}`);
    // The editor's server sees the new name at once.
    expect((await cachedPage(mine.serverId)).current).toBe(false);
    const list = await api(app, 'GET', `/servers/${mine.serverId}/members`, { token: mine.owner.token });
    expect(list.body.find((m: { user: { id: string } }) => m.user.id === someone.id)?.user.username).toBe(
      renamed,
    );
  });

  it('writes to columns no list shows move no epoch', async () => {
    const w = await world(app);
    const someone = await member(app, w.serverId);
    const prefix = app.config.redis.key_prefix;
    const epoch = async () =>
      (await app.rt.redis.mget(`${prefix}:perm-epoch:${w.serverId}`, `${prefix}:perm-epoch`)).join('.');
    const before = await epoch();
    const user = await app.rt.models.User.findByPk(someone.id, { rejectOnEmpty: true });
    await user.update({ password_changed_at: new Date() });
    expect(await epoch()).toBe(before);
    await user.update({ avatar_url: null, username: `${user.username}x`.slice(0, 32) });
    expect(await epoch()).not.toBe(before);
  });
});

describe('the read-through', () => {
  it('keeps what a reader stored under the new epoch when a slower load from before the write ends', async () => {
    const w = await world(app);
    let loads = 0;
    const read = (load: () => Promise<string>) =>
      underServerEpoch(app.rt, w.serverId, 'read-through-test', () => {
        loads += 1;
        return load();
      });
    // The slow reader loads the old value; meanwhile a write moves the epoch and a second reader
    // loads and stores the new value.
    const slow = read(async () => {
      await moveServerEpochs(app.rt, [w.serverId]);
      expect(await read(() => Promise.resolve('new'))).toBe('new');
      return 'old';
    });
    expect(await slow).toBe('old');
    expect(loads).toBe(2);
    // The entry is the second reader's: answered from the cache, no third load.
    expect(await read(() => Promise.resolve('loaded again'))).toBe('new');
    expect(loads).toBe(2);
  });
});

import { publicBase } from '../../../shared/config/public-base.js';
import { invalidate } from '../../../shared/domain/invalidation.js';
import {
  cachedChannel,
  cachedChannelAccess,
  underServerEpoch,
} from '../../../shared/permissions/facts-cache.js';
import {
  Permission,
  ServerPolicy,
  has,
  loadMemberFacts,
  permissionSourceId,
} from '../../../shared/permissions/index.js';
import { api } from '../../helpers/accounts.js';
import { useTestApp } from '../../helpers/app.js';
import { makeRole, member, world } from '../../api/servers/membership-helpers.js';

const app = useTestApp({ workers: false, gateway: false }, 60_000);

/** A member overwrite denying VIEW_CHANNEL, written without moving any epoch. */
const hideChannel = (channelId: string, userId: string) =>
  app.rt.models.PermissionOverwrite.create({
    channel_id: channelId,
    target_id: userId,
    type: 'member',
    allow: '0',
    deny: String(Permission.VIEW_CHANNEL),
  } as never);

const may = async (serverId: string, userId: string, bit: bigint) =>
  has((await ServerPolicy.load(app.rt, serverId, userId)).permissions, bit);

describe('member facts cache', () => {
  it('answers from the cache until a write says what it moved', async () => {
    const w = await world(app);
    const role = await makeRole(app, w.serverId, { position: 1, permissions: Permission.KICK_MEMBERS });
    const mod = await member(app, w.serverId, [role.id]);
    expect(await may(w.serverId, mod.id, Permission.KICK_MEMBERS)).toBe(true);
    // Neither raw SQL nor a model write moves anything by itself: the cached facts still answer...
    await app.rt.sequelize.query('UPDATE roles SET permissions = 0 WHERE id = :id', {
      replacements: { id: role.id },
    });
    await role.update({ name: 'renamed' });
    expect(await may(w.serverId, mod.id, Permission.KICK_MEMBERS)).toBe(true);
    // ...until the write names its server.
    await invalidate(app.rt, { servers: [w.serverId] });
    expect(await may(w.serverId, mod.id, Permission.KICK_MEMBERS)).toBe(false);
  });

  it('moves the caches only once a transaction commits', async () => {
    const w = await world(app);
    const role = await makeRole(app, w.serverId, { position: 1, permissions: 0n });
    const someone = await member(app, w.serverId, [role.id]);
    expect(await may(w.serverId, someone.id, Permission.MANAGE_ROLES)).toBe(false);
    await app.rt.sequelize.transaction(async (transaction) => {
      await role.update({ permissions: String(Permission.MANAGE_ROLES) }, { transaction });
      await invalidate(app.rt, { servers: [w.serverId] }, transaction);
      // Not committed: readers outside the transaction still see (and may cache) the old row.
      expect(await may(w.serverId, someone.id, Permission.MANAGE_ROLES)).toBe(false);
    });
    expect(await may(w.serverId, someone.id, Permission.MANAGE_ROLES)).toBe(true);
  });

  it('moves nothing when the transaction rolls back', async () => {
    const w = await world(app);
    await ServerPolicy.load(app.rt, w.serverId, w.owner.id);
    const prefix = app.config.redis.key_prefix;
    const epoch = () => app.rt.redis.get(`${prefix}:perm-epoch:${w.serverId}`);
    const before = await epoch();
    await expect(
      app.rt.sequelize.transaction(async (transaction) => {
        await invalidate(app.rt, { servers: [w.serverId] }, transaction);
        throw new Error('rolled back');
      }),
    ).rejects.toThrow('rolled back');
    expect(await epoch()).toBe(before);
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
    const canView = async () =>
      has(
        await (
          await ServerPolicy.load(app.rt, w.serverId, someone.id)
        ).channelPermissions((await cachedChannel(app.rt, w.channelId))!),
        Permission.VIEW_CHANNEL,
      );
    expect(await canView()).toBe(true);
    // The cached row answers until the write names the channel; the revived row keeps its dates.
    await app.rt.sequelize.query("UPDATE channels SET name = 'sneaky' WHERE id = :id", {
      replacements: { id: w.channelId },
    });
    expect((await cachedChannel(app.rt, w.channelId))?.name).toBe('general');
    await invalidate(app.rt, { channels: [w.channelId] });
    expect((await cachedChannel(app.rt, w.channelId))?.name).toBe('sneaky');
    expect((await cachedChannel(app.rt, w.channelId))?.created_at).toBeInstanceOf(Date);
    // So do the overwrites.
    expect(await canView()).toBe(true);
    await hideChannel(w.channelId, someone.id);
    expect(await canView()).toBe(true);
    await invalidate(app.rt, { channels: [w.channelId] });
    expect(await canView()).toBe(false);
  });

  it('a user’s move reaches the member lists of their servers', async () => {
    const w = await world(app);
    const someone = await member(app, w.serverId);
    type Listed = { user: { id: string; username: string } };
    const listedName = async () =>
      (
        (await api(app, 'GET', `/servers/${w.serverId}/members`, { token: w.owner.token })).body as Listed[]
      ).find((m) => m.user.id === someone.id)?.user.username;
    expect(await listedName()).toBe(someone.username);
    const renamed = `raw_${someone.id.slice(-8)}`;
    await app.rt.sequelize.query('UPDATE users SET username = :renamed WHERE id = :id', {
      replacements: { renamed, id: someone.id },
    });
    expect(await listedName()).toBe(someone.username);
    await invalidate(app.rt, { users: [someone.id] });
    expect(await listedName()).toBe(renamed);
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
        `${prefix}:server-cache:${serverId}:members:${publicBase(app.config)}::50`,
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
      await invalidate(app.rt, { servers: [w.serverId] });
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

describe('the channel access read', () => {
  it('reads the channel, the facts, the overwrites and extra keys in one script, each only while current', async () => {
    const w = await world(app);
    const someone = await member(app, w.serverId);
    const prefix = app.rt.config.redis.key_prefix;
    const read = () =>
      cachedChannelAccess(app.rt, w.channelId, someone.id, {
        loadFacts: (serverId) => loadMemberFacts(app.rt.models, serverId, someone.id),
        sourceOf: permissionSourceId,
        extraKeys: (serverId) => [`${prefix}:probe:${serverId}`],
      });
    const canView = async (r: Awaited<ReturnType<typeof read>>) =>
      has(
        await ServerPolicy.inChannel(app.rt, await r.server!()).channelPermissions(r.channel!),
        Permission.VIEW_CHANNEL,
      );
    await read();
    let r = await read();
    expect(r.channel?.id).toBe(w.channelId);
    expect(r.extras).toEqual([null]);
    expect(await canView(r)).toBe(true);
    await app.rt.redis.set(`${prefix}:probe:${w.serverId}`, '1');
    await hideChannel(w.channelId, someone.id);
    // The cached overwrites answer until a write names the channel.
    r = await read();
    expect(r.extras).toEqual(['1']);
    expect(await canView(r)).toBe(true);
    await invalidate(app.rt, { channels: [w.channelId] });
    // A row that is not current is loaded, and the rest left to the caller's own read...
    r = await read();
    expect(r.channel?.id).toBe(w.channelId);
    expect(r.server).toBeNull();
    // ...after which one script answers again, with the new overwrites.
    r = await read();
    expect(await canView(r)).toBe(false);
    // The member's facts move with their server's epoch.
    await app.rt.models.Member.destroy({ where: { server_id: w.serverId, user_id: someone.id } });
    expect((await (await read()).server!()).loaded).not.toBeNull();
    await invalidate(app.rt, { servers: [w.serverId] });
    expect((await (await read()).server!()).loaded).toBeNull();
  });
});

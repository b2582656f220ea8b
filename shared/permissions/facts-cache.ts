import type { Redis } from 'ioredis';
import type { Transaction } from 'sequelize';
import type { Config } from '../config/index.js';
import type { Models, Row } from '../db/models/index.js';
import type { MemberFacts, Overwrite } from './compute.js';

/**
 * A member's permission facts (their server row, roles, timeout) cached in Redis for the request
 * path, which asks "may they?" on every call. Entries carry the epoch they were read under: every
 * write to servers, members, roles or member_roles bumps its server's epoch (or, when the server
 * cannot be told, a global one) after its transaction commits, through Sequelize hooks installed
 * once per runtime. A stale entry is then simply not used; nothing has to find and delete it.
 */
const TTL_SECONDS = 300;

/** Tables whose rows make up member facts (shared/permissions/policy.ts loadMemberFacts). */
const WATCHED = ['Server', 'Member', 'Role', 'MemberRole'] as const;

const keys = (prefix: string) => ({
  server: (serverId: string) => `${prefix}:perm-epoch:${serverId}`,
  global: `${prefix}:perm-epoch`,
  facts: (serverId: string, userId: string) => `${prefix}:member-facts:${serverId}:${userId}`,
  /** Per channel: moved by writes to the channel row or its permission overwrites. */
  channel: (channelId: string) => `${prefix}:chan-epoch:${channelId}`,
  channelRow: (channelId: string) => `${prefix}:chan:${channelId}`,
  channelOverwrites: (channelId: string) => `${prefix}:chan-overwrites:${channelId}`,
});

/** What loadMemberFacts answers. */
export interface LoadedFacts {
  facts: MemberFacts;
  server: Row<'Server'>;
  positions: Map<string, number>;
}

type Where = Record<string, unknown> | undefined;

/** The ids a bulk write's `where` names in `column`, or null when they cannot be told. */
function idsOfWhere(where: Where, column: string): string[] | null {
  const value = where?.[column];
  if (typeof value === 'string' || typeof value === 'number') return [String(value)];
  if (Array.isArray(value) && value.every((v) => typeof v === 'string' || typeof v === 'number')) {
    return value.map(String);
  }
  return null;
}

/** The server ids a write touched, or null when they cannot be told (then every epoch moves). */
function serversOfWhere(model: string, where: Where): string[] | null {
  return idsOfWhere(where, model === 'Server' ? 'id' : 'server_id');
}

function serverOfRow(model: string, row: { get(key: string): unknown }): string | null {
  const value = row.get(model === 'Server' ? 'id' : 'server_id');
  return typeof value === 'string' || typeof value === 'number' ? String(value) : null;
}

/** Moves the epochs of `serverIds` (null: the global one). Best effort: Redis down means no cache reads either. */
export async function bumpPermissionEpochs(
  redis: Redis,
  prefix: string,
  serverIds: string[] | null,
): Promise<void> {
  const k = keys(prefix);
  const pipeline = redis.pipeline();
  for (const key of serverIds === null ? [k.global] : serverIds.map(k.server)) pipeline.incr(key);
  await pipeline.exec().catch(() => undefined);
}

/** Installs the hooks that move epochs on every write to the watched models (once per runtime). */
export function installPermissionEpochs(models: Models, redis: Redis, prefix: string): void {
  const after = async (serverIds: string[] | null, transaction: Transaction | null | undefined) => {
    const bump = () => bumpPermissionEpochs(redis, prefix, serverIds);
    // Inside a transaction the new rows are invisible to readers until it commits: moving the
    // epoch earlier would let a reader cache the old rows under the new epoch.
    if (transaction) transaction.afterCommit(bump);
    else await bump();
  };
  for (const name of WATCHED) {
    const model = models[name] as unknown as {
      addHook(event: string, fn: (...args: never[]) => Promise<void>): void;
    };
    type Row = { get(key: string): unknown };
    type Options = { transaction?: Transaction | null; where?: Where };
    for (const event of ['afterCreate', 'afterUpdate', 'afterDestroy', 'afterSave', 'afterUpsert']) {
      model.addHook(event, (row: Row | [Row, unknown], options: Options) => {
        const instance = Array.isArray(row) ? row[0] : row;
        const id = instance && typeof instance.get === 'function' ? serverOfRow(name, instance) : null;
        return after(id === null ? null : [id], options?.transaction);
      });
    }
    model.addHook('afterBulkCreate', (rows: Row[], options: Options) => {
      const ids = rows.map((r) => serverOfRow(name, r));
      return after(ids.includes(null) ? null : [...new Set(ids as string[])], options?.transaction);
    });
    for (const event of ['afterBulkUpdate', 'afterBulkDestroy']) {
      model.addHook(event, (options: Options) =>
        after(serversOfWhere(name, options?.where), options?.transaction),
      );
    }
  }
  installChannelEpochs(models, redis, prefix);
  installUserEpochs(models, redis, prefix);
}

/** User columns that appear in member lists (presentUser); writes to other columns move no epoch. */
const LISTED_USER_FIELDS = new Set(['username', 'avatar_url', 'is_bot']);

/**
 * A user's name and avatar are in the member lists of the servers they are in: a write to those
 * columns moves the epochs of exactly those servers (looked up after commit), never every server's
 * on the instance. Deleting a user moves the global epoch (its member rows go by cascade, unseen).
 */
function installUserEpochs(models: Models, redis: Redis, prefix: string): void {
  type Options = { transaction?: Transaction | null; where?: Where; fields?: string[] };
  const listed = (options: Options | undefined) =>
    !options?.fields || options.fields.some((f) => LISTED_USER_FIELDS.has(f));
  const bumpServersOf = async (userIds: string[] | null, transaction: Transaction | null | undefined) => {
    const run = async () => {
      let servers: string[] | null = null;
      if (userIds !== null) {
        // The database failing here must not leave stale lists: then every epoch moves.
        const rows = await models.Member.findAll({
          attributes: ['server_id'],
          where: { user_id: userIds },
        }).catch(() => null);
        servers = rows && [...new Set(rows.map((r) => r.server_id))];
      }
      if (servers?.length !== 0) await bumpPermissionEpochs(redis, prefix, servers);
    };
    if (transaction) transaction.afterCommit(run);
    else await run();
  };
  const users = models.User as unknown as {
    addHook(event: string, fn: (...args: never[]) => Promise<void>): void;
  };
  users.addHook('afterUpdate', (row: { get(key: string): unknown }, options: Options) =>
    listed(options) ? bumpServersOf([String(row.get('id'))], options?.transaction) : Promise.resolve(),
  );
  users.addHook('afterBulkUpdate', (options: Options) => {
    if (!listed(options)) return Promise.resolve();
    return bumpServersOf(idsOfWhere(options?.where, 'id'), options?.transaction);
  });
  for (const event of ['afterDestroy', 'afterBulkDestroy']) {
    users.addHook(event, (...args: never[]) => {
      const options = (event === 'afterBulkDestroy' ? args[0] : args[1]) as Options | undefined;
      return bumpServersOf(null, options?.transaction);
    });
  }
}

/**
 * A JSON value derived from one server's members and roles (a member list page), kept under the
 * server's epoch: `load` when missing or older than the server's last write. Redis down: `load`.
 */
export function underServerEpoch<T>(
  rt: CacheRuntime,
  serverId: string,
  name: string,
  load: () => Promise<T>,
): Promise<T> {
  const prefix = rt.config.redis.key_prefix;
  return readThrough(rt, keys(prefix).server(serverId), `${prefix}:server-cache:${serverId}:${name}`, load, {
    store: (value) => value,
    revive: (value) => value,
  });
}

interface CachedFacts {
  server: Record<string, unknown>;
  userId: string;
  everyone: string;
  roles: { id: string; permissions: string }[];
  timeoutUntil: string | null;
  positions: [string, number][];
}

/**
 * loadMemberFacts through the cache: one Redis round trip when the entry is current, else `load`
 * (the database) and the entry rewritten. Non-members are never cached (a join must not wait for
 * an epoch). Redis down: straight to the database.
 */
export function cachedMemberFacts(
  rt: CacheRuntime & { models: Models },
  serverId: string,
  userId: string,
  load: () => Promise<LoadedFacts | null>,
): Promise<LoadedFacts | null> {
  const k = keys(rt.config.redis.key_prefix);
  return readThrough<LoadedFacts | null, CachedFacts>(
    rt,
    k.server(serverId),
    k.facts(serverId, userId),
    load,
    {
      store: (loaded) =>
        loaded && {
          server: loaded.server.get({ plain: true }),
          userId,
          everyone: loaded.facts.everyone.toString(),
          roles: loaded.facts.roles.map((r) => ({ id: r.id, permissions: r.permissions.toString() })),
          timeoutUntil: loaded.facts.timeoutUntil ? loaded.facts.timeoutUntil.toISOString() : null,
          positions: [...loaded.positions],
        },
      revive: (cached) => revive(rt.models, serverId, cached),
    },
  );
}

function revive(models: Models, serverId: string, cached: CachedFacts): LoadedFacts {
  const plain = cached.server;
  const date = (v: unknown) => (typeof v === 'string' ? new Date(v) : v);
  const server = models.Server.build(
    { ...plain, created_at: date(plain.created_at), updated_at: date(plain.updated_at) } as never,
    { isNewRecord: false },
  );
  return {
    server,
    positions: new Map(cached.positions),
    facts: {
      userId: cached.userId,
      serverId,
      ownerId: String(plain.owner_id),
      everyone: BigInt(cached.everyone),
      roles: cached.roles.map((r) => ({ id: r.id, permissions: BigInt(r.permissions) })),
      timeoutUntil: cached.timeoutUntil ? new Date(cached.timeoutUntil) : null,
    },
  };
}

/** Channel rows and overwrites: writes move the channel's epoch (the global one when it cannot be told). */
function installChannelEpochs(models: Models, redis: Redis, prefix: string): void {
  const k = keys(prefix);
  const bump = async (channelIds: string[] | null, transaction: Transaction | null | undefined) => {
    const run = async () => {
      const pipeline = redis.pipeline();
      for (const key of channelIds === null ? [k.global] : channelIds.map(k.channel)) pipeline.incr(key);
      await pipeline.exec().catch(() => undefined);
    };
    if (transaction) transaction.afterCommit(run);
    else await run();
  };
  const watched = [
    ['Channel', 'id'],
    ['PermissionOverwrite', 'channel_id'],
  ] as const;
  type Row = { get(key: string): unknown };
  type Options = { transaction?: Transaction | null; where?: Where };
  const idOf = (value: unknown) =>
    typeof value === 'string' || typeof value === 'number' ? String(value) : null;
  for (const [name, column] of watched) {
    const model = models[name] as unknown as {
      addHook(event: string, fn: (...args: never[]) => Promise<void>): void;
    };
    for (const event of ['afterCreate', 'afterUpdate', 'afterDestroy', 'afterSave', 'afterUpsert']) {
      model.addHook(event, (row: Row | [Row, unknown], options: Options) => {
        const instance = Array.isArray(row) ? row[0] : row;
        const id = instance && typeof instance.get === 'function' ? idOf(instance.get(column)) : null;
        return bump(id === null ? null : [id], options?.transaction);
      });
    }
    model.addHook('afterBulkCreate', (rows: Row[], options: Options) => {
      const ids = rows.map((r) => idOf(r.get(column)));
      return bump(ids.includes(null) ? null : [...new Set(ids as string[])], options?.transaction);
    });
    for (const event of ['afterBulkUpdate', 'afterBulkDestroy']) {
      model.addHook(event, (options: Options) =>
        bump(idsOfWhere(options?.where, column), options?.transaction),
      );
    }
  }
}

type CacheRuntime = { redis: Redis; config: Pick<Config, 'redis'> };

/** How a cached value is kept: `store` turns it into JSON (null: not cached), `revive` back. */
interface Codec<T, C> {
  store(value: T): C | null;
  revive(cached: C): T;
}

/**
 * Stores `KEYS[3]` = `ARGV[2]` (TTL `ARGV[3]` seconds) only while `KEYS[1]`.`KEYS[2]` (the own
 * and the global epoch) still read `ARGV[1]`: a value loaded while a write moved the epoch is
 * already stale, and must not replace an entry a later reader stored under the new epoch.
 */
const STORE_IF_CURRENT = `
local epoch = (redis.call('GET', KEYS[1]) or '0') .. '.' .. (redis.call('GET', KEYS[2]) or '0')
if epoch == ARGV[1] then redis.call('SET', KEYS[3], ARGV[2], 'EX', ARGV[3]) return 1 end
return 0`;

/**
 * The one read-through of this module: the value at `valueKey` when it was stored under the
 * current epoch (`epochKey`'s and the global one), in one round trip; else `load`, stored only
 * if the epoch did not move meanwhile. Redis down: straight to `load`.
 */
async function readThrough<T, C>(
  rt: CacheRuntime,
  epochKey: string,
  valueKey: string,
  load: () => Promise<T>,
  codec: Codec<T, C>,
): Promise<T> {
  const globalKey = keys(rt.config.redis.key_prefix).global;
  let epoch: string;
  try {
    const [ownEpoch, globalEpoch, raw] = await rt.redis.mget(epochKey, globalKey, valueKey);
    epoch = `${ownEpoch ?? 0}.${globalEpoch ?? 0}`;
    if (raw) {
      const cached = JSON.parse(raw) as { epoch: string; value: C };
      if (cached.epoch === epoch) return codec.revive(cached.value);
    }
  } catch {
    return load();
  }
  const value = await load();
  const stored = codec.store(value);
  if (stored !== null) {
    const entry = JSON.stringify({ epoch, value: stored });
    await rt.redis
      .eval(STORE_IF_CURRENT, 3, epochKey, globalKey, valueKey, epoch, entry, TTL_SECONDS)
      .catch(() => undefined);
  }
  return value;
}

/** Channel.findByPk through the cache (null, an unknown channel, is not cached). */
export function cachedChannel(
  rt: CacheRuntime & { models: Models },
  channelId: string,
): Promise<Row<'Channel'> | null> {
  const k = keys(rt.config.redis.key_prefix);
  return readThrough(
    rt,
    k.channel(channelId),
    k.channelRow(channelId),
    () => rt.models.Channel.findByPk(channelId),
    {
      store: (row) => (row ? (row.get({ plain: true }) as Record<string, unknown>) : null),
      revive: (plain) => {
        const date = (v: unknown) => (typeof v === 'string' ? new Date(v) : v);
        return rt.models.Channel.build(
          { ...plain, created_at: date(plain.created_at), updated_at: date(plain.updated_at) } as never,
          { isNewRecord: false },
        );
      },
    },
  );
}

type StoredOverwrite = Omit<Overwrite, 'allow' | 'deny'> & { allow: string; deny: string };

/** A channel's permission overwrites, as the computation takes them, through the cache. */
export function cachedOverwrites(
  rt: CacheRuntime & { models: Models },
  channelId: string,
): Promise<Overwrite[]> {
  const k = keys(rt.config.redis.key_prefix);
  return readThrough<Overwrite[], StoredOverwrite[]>(
    rt,
    k.channel(channelId),
    k.channelOverwrites(channelId),
    async () =>
      (await rt.models.PermissionOverwrite.findAll({ where: { channel_id: channelId } })).map((o) => ({
        id: o.target_id,
        type: o.type,
        allow: BigInt(o.allow),
        deny: BigInt(o.deny),
      })),
    {
      store: (list) => list.map((o) => ({ ...o, allow: o.allow.toString(), deny: o.deny.toString() })),
      revive: (list) => list.map((o) => ({ ...o, allow: BigInt(o.allow), deny: BigInt(o.deny) })),
    },
  );
}

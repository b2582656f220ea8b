import type { Redis } from 'ioredis';
import type { Config } from '../config/index.js';
import type { Models, Row } from '../db/models/index.js';
import type { MemberFacts, Overwrite } from './compute.js';

/**
 * A member's permission facts (their server row, roles, timeout), member list pages, and channel
 * rows and overwrites, cached in Redis for the request path, which asks "may they?" on every call.
 * Entries carry the epoch they were read under: a server's epoch (its row, members, roles, member
 * roles), a channel's (its row, its overwrites) and a global one. Every write moves the epochs it
 * touched after its transaction commits, by calling shared/domain/invalidation.ts (never by ORM
 * hooks, which raw SQL and cascades bypass). A stale entry is then simply not used; nothing has to
 * find and delete it.
 */
const TTL_SECONDS = 300;

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

/** Which epochs to move: servers', channels', or (`global`) every entry's. */
export interface Epochs {
  servers?: readonly string[];
  channels?: readonly string[];
  global?: boolean;
}

/**
 * Moves `epochs`, so entries read under the old ones are no longer used. Best effort: with Redis
 * down there are no cache reads either. Only shared/domain/invalidation.ts calls this.
 */
export async function moveEpochs(redis: Redis, prefix: string, epochs: Epochs): Promise<void> {
  const k = keys(prefix);
  const moved = [
    ...(epochs.global ? [k.global] : []),
    ...(epochs.servers ?? []).map(k.server),
    ...(epochs.channels ?? []).map(k.channel),
  ];
  if (moved.length === 0) return;
  const pipeline = redis.pipeline();
  for (const key of moved) pipeline.incr(key);
  await pipeline.exec().catch(() => undefined);
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

/** The cache read of a member's facts (what cachedMemberFacts reads). */
function memberFactsRead(
  rt: CacheRuntime & { models: Models },
  serverId: string,
  userId: string,
  load: () => Promise<LoadedFacts | null>,
): CachedRead<LoadedFacts | null, CachedFacts> {
  const k = keys(rt.config.redis.key_prefix);
  return {
    epochKey: k.server(serverId),
    valueKey: k.facts(serverId, userId),
    load,
    codec: {
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
  };
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
  const read = memberFactsRead(rt, serverId, userId, load);
  return readThrough(rt, read.epochKey, read.valueKey, read.load, read.codec);
}

/**
 * cachedMemberFacts and cachedOverwrites of one channel in one Redis round trip: what the message
 * routes need to answer "may they?" in a server channel.
 */
export async function cachedFactsAndOverwrites(
  rt: CacheRuntime & { models: Models },
  serverId: string,
  userId: string,
  channelId: string,
  load: () => Promise<LoadedFacts | null>,
): Promise<{ loaded: LoadedFacts | null; overwrites: Overwrite[] }> {
  const reads = [memberFactsRead(rt, serverId, userId, load), overwritesRead(rt, channelId)];
  const [loaded, overwrites] = await readThroughAll(rt, reads);
  return { loaded: loaded as LoadedFacts | null, overwrites: overwrites as Overwrite[] };
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

/** One cached value: where it and its epoch live, how to load it, how it is kept. */
interface CachedRead<T, C> {
  epochKey: string;
  valueKey: string;
  load: () => Promise<T>;
  codec: Codec<T, C>;
}

/**
 * The one read-through of this module, for one value or several in the same round trip (one MGET
 * of the global epoch and each value's epoch and entry): each value as stored when it was stored
 * under the current epochs (its own and the global one); else its `load`, stored only if the epoch
 * did not move meanwhile. Redis down: straight to the loads.
 */
async function readThroughAll(rt: CacheRuntime, reads: CachedRead<unknown, unknown>[]): Promise<unknown[]> {
  const globalKey = keys(rt.config.redis.key_prefix).global;
  let raw: (string | null)[];
  try {
    raw = await rt.redis.mget(globalKey, ...reads.flatMap((r) => [r.epochKey, r.valueKey]));
  } catch {
    return Promise.all(reads.map((r) => r.load()));
  }
  const globalEpoch = raw[0] ?? 0;
  return Promise.all(
    reads.map(async (read, i) => {
      const epoch = `${raw[1 + 2 * i] ?? 0}.${globalEpoch}`;
      const entry = raw[2 + 2 * i];
      if (entry) {
        const cached = JSON.parse(entry) as { epoch: string; value: unknown };
        if (cached.epoch === epoch) return read.codec.revive(cached.value);
      }
      const value = await read.load();
      const stored = read.codec.store(value);
      if (stored !== null) {
        const json = JSON.stringify({ epoch, value: stored });
        await rt.redis
          .eval(STORE_IF_CURRENT, 3, read.epochKey, globalKey, read.valueKey, epoch, json, TTL_SECONDS)
          .catch(() => undefined);
      }
      return value;
    }),
  );
}

/** readThroughAll of one value. */
async function readThrough<T, C>(
  rt: CacheRuntime,
  epochKey: string,
  valueKey: string,
  load: () => Promise<T>,
  codec: Codec<T, C>,
): Promise<T> {
  const [value] = await readThroughAll(rt, [{ epochKey, valueKey, load, codec }]);
  return value as T;
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

/** The cache read of a channel's permission overwrites (what cachedOverwrites reads). */
function overwritesRead(
  rt: CacheRuntime & { models: Models },
  channelId: string,
): CachedRead<Overwrite[], StoredOverwrite[]> {
  const k = keys(rt.config.redis.key_prefix);
  return {
    epochKey: k.channel(channelId),
    valueKey: k.channelOverwrites(channelId),
    load: async () =>
      (await rt.models.PermissionOverwrite.findAll({ where: { channel_id: channelId } })).map((o) => ({
        id: o.target_id,
        type: o.type,
        allow: BigInt(o.allow),
        deny: BigInt(o.deny),
      })),
    codec: {
      store: (list) => list.map((o) => ({ ...o, allow: o.allow.toString(), deny: o.deny.toString() })),
      revive: (list) => list.map((o) => ({ ...o, allow: BigInt(o.allow), deny: BigInt(o.deny) })),
    },
  };
}

/** A channel's permission overwrites, as the computation takes them, through the cache. */
export function cachedOverwrites(
  rt: CacheRuntime & { models: Models },
  channelId: string,
): Promise<Overwrite[]> {
  const read = overwritesRead(rt, channelId);
  return readThrough(rt, read.epochKey, read.valueKey, read.load, read.codec);
}

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
 * How long the epochs of a deleted server or channel are kept once retired (retireEpochs): longer
 * than any entry read under them lives, so by the time a counter is gone (and reads as 0 again)
 * every entry stored under one of its values, 0 included, has expired.
 */
export const RETIRED_EPOCH_SECONDS = 2 * TTL_SECONDS;

/**
 * The epochs of deleted servers and channels (ids are never reused), which would otherwise stay
 * in Redis forever, one counter each: set to expire after RETIRED_EPOCH_SECONDS, not deleted. A
 * deleted counter reads as 0, and an entry of the deleted object cached under 0 (before its first
 * move) or under a value a later INCR (a repeated relay) brings it back to could match again while
 * it lives; the expiry outlives every entry instead. An INCR keeps the expiry. Best effort, as
 * moveEpochs.
 */
export async function retireEpochs(
  redis: Redis,
  prefix: string,
  epochs: Omit<Epochs, 'global'>,
): Promise<void> {
  const k = keys(prefix);
  const retired = [...(epochs.servers ?? []).map(k.server), ...(epochs.channels ?? []).map(k.channel)];
  if (retired.length === 0) return;
  const pipeline = redis.pipeline();
  for (const key of retired) pipeline.expire(key, RETIRED_EPOCH_SECONDS);
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

/** A cached row (JSON of `get({ plain: true })`) as its model again; its two dates are its only non-JSON values. */
function reviveRow<R>(
  model: { build(values: never, options: object): unknown },
  plain: Record<string, unknown>,
): R {
  const date = (v: unknown) => (typeof v === 'string' ? new Date(v) : v);
  // raw: the values are the row's own (dates revived here), so the per-attribute setters and
  // sanitizers of a build have nothing to do (they showed in web profiles, every request).
  return model.build(
    { ...plain, created_at: date(plain.created_at), updated_at: date(plain.updated_at) } as never,
    { raw: true, isNewRecord: false },
  ) as R;
}

function revive(models: Models, serverId: string, cached: CachedFacts): LoadedFacts {
  const plain = cached.server;
  const server = reviveRow<Row<'Server'>>(models.Server, plain);
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
  return Promise.all(reads.map((read, i) => resolveRead(rt, read, raw[0], raw[1 + 2 * i], raw[2 + 2 * i])));
}

/**
 * One value of a read-through from what Redis answered: the global epoch, the value's own epoch
 * and its entry (each null when absent).
 */
async function resolveRead<T, C>(
  rt: CacheRuntime,
  read: CachedRead<T, C>,
  globalEpoch: string | null | undefined,
  ownEpoch: string | null | undefined,
  entry: string | null | undefined,
): Promise<T> {
  const epoch = `${ownEpoch ?? 0}.${globalEpoch ?? 0}`;
  const cached = currentValue<C>(entry, epoch);
  if (cached !== undefined) return read.codec.revive(cached);
  const value = await read.load();
  const stored = read.codec.store(value);
  if (stored !== null) {
    const json = JSON.stringify({ epoch, value: stored });
    const globalKey = keys(rt.config.redis.key_prefix).global;
    await rt.redis
      .eval(STORE_IF_CURRENT, 3, read.epochKey, globalKey, read.valueKey, epoch, json, TTL_SECONDS)
      .catch(() => undefined);
  }
  return value;
}

/**
 * Reads, in one script (one round trip), what a message route asks about a channel and its caller:
 * the global epoch, the channel's epoch and cached row (ARGV[1..3]); then, when that row is cached
 * and names a server (`{s}` in the templates below), the server's epoch and the member's facts
 * (ARGV[4..5]), the channel's overwrites (ARGV[6]), its parent's id, epoch and overwrites (`{c}`
 * in ARGV[7..8]: a thread's permissions are its parent's), and one more key per further ARGV.
 * Whether each entry is current is judged by the caller (resolveRead), exactly as after an MGET;
 * this script only saves the second round trip that would wait for the channel's server id.
 */
const CHANNEL_ACCESS = `
local function get(key) return redis.call('GET', key) or false end
local out = {get(ARGV[1]), get(ARGV[2]), get(ARGV[3])}
if not out[3] then return out end
local ok, entry = pcall(cjson.decode, out[3])
if not ok or type(entry) ~= 'table' or type(entry.value) ~= 'table' then return out end
local server = entry.value.server_id
if type(server) ~= 'string' then return out end
local function fill(template, c) return (string.gsub(string.gsub(template, '{s}', server), '{c}', c or '')) end
out[4] = server
out[5] = get(fill(ARGV[4]))
out[6] = get(fill(ARGV[5]))
out[7] = get(ARGV[6])
local parent = entry.value.parent_id
if type(parent) == 'string' then
  out[8] = parent
  out[9] = get(fill(ARGV[7], parent))
  out[10] = get(fill(ARGV[8], parent))
else
  out[8] = false
  out[9] = false
  out[10] = false
end
for i = 9, #ARGV do out[#out + 1] = get(fill(ARGV[i])) end
return out`;

/** What cachedChannelAccess answers. */
export interface ChannelAccessRead {
  /** The channel (null: unknown). */
  channel: Row<'Channel'> | null;
  /**
   * For a server channel whose row was current in the cache: the caller's facts (null: not a
   * member) and the overwrites of the channel's permission source (the channel, or a thread's
   * parent) as cachedFactsAndOverwrites would have answered, from what was read (the database
   * only for entries that were not current); null when not read this way.
   */
  server: (() => Promise<{ loaded: LoadedFacts | null; sourceId: string; overwrites: Overwrite[] }>) | null;
  /** The values of `extraKeys` in the channel's server (null without `server`). */
  extras: (string | null)[] | null;
}

/**
 * cachedChannel, and for a server channel cachedFactsAndOverwrites of the caller and its
 * permission source, plus `extraKeys(serverId)` (plain keys), in one Redis round trip when the
 * channel's row is cached and current; otherwise `server` is null and the caller reads them
 * itself. `sourceOf` is the channel's permission source (policy.ts permissionSourceId).
 */
export async function cachedChannelAccess(
  rt: CacheRuntime & { models: Models },
  channelId: string,
  userId: string,
  options: {
    loadFacts: (serverId: string) => Promise<LoadedFacts | null>;
    sourceOf: (channel: Row<'Channel'>) => string | null;
    extraKeys?: (serverId: string) => string[];
  },
): Promise<ChannelAccessRead> {
  const k = keys(rt.config.redis.key_prefix);
  defineChannelAccess(rt.redis);
  const channelRead = channelRowRead(rt, channelId);
  const extras = options.extraKeys?.('{s}') ?? [];
  let raw: (string | null)[];
  try {
    raw = await (rt.redis as unknown as ChannelAccessClient).plexichatChannelAccess(
      k.global,
      k.channel(channelId),
      k.channelRow(channelId),
      k.server('{s}'),
      k.facts('{s}', userId),
      k.channelOverwrites(channelId),
      k.channel('{c}'),
      k.channelOverwrites('{c}'),
      ...extras,
    );
  } catch {
    return { channel: await channelRead.load(), server: null, extras: null };
  }
  const cachedRow = currentValue<Record<string, unknown>>(raw[2], `${raw[1] ?? 0}.${raw[0] ?? 0}`);
  // Only a row that was current: one loaded now may disagree with what the script read beside it.
  if (cachedRow === undefined) {
    return {
      channel: await resolveRead(rt, channelRead, raw[0], raw[1], raw[2]),
      server: null,
      extras: null,
    };
  }
  const channel = channelRead.codec.revive(cachedRow);
  if (!channel || raw[3] == null || channel.server_id !== raw[3])
    return { channel, server: null, extras: null };
  const sourceId = options.sourceOf(channel);
  const source =
    sourceId === channel.id
      ? { epoch: raw[1], overwrites: raw[6] }
      : sourceId !== null && sourceId === raw[7]
        ? { epoch: raw[8], overwrites: raw[9] }
        : null;
  if (!source || sourceId === null) return { channel, server: null, extras: null };
  const serverId = raw[3];
  const facts = memberFactsRead(rt, serverId, userId, () => options.loadFacts(serverId));
  const server = async () => {
    const [loaded, overwrites] = await Promise.all([
      resolveRead(rt, facts, raw[0], raw[4], raw[5]),
      resolveRead(rt, overwritesRead(rt, sourceId), raw[0], source.epoch, source.overwrites),
    ]);
    return { loaded, sourceId, overwrites };
  };
  return { channel, server, extras: raw.slice(10) };
}

/** The value of a cached entry when it was stored under `epoch` (own.global), else undefined. */
function currentValue<C>(entry: string | null | undefined, epoch: string): C | undefined {
  if (!entry) return undefined;
  const cached = JSON.parse(entry) as { epoch: string; value: C };
  return cached.epoch === epoch ? cached.value : undefined;
}

/** The script as an ioredis command (EVALSHA, loading it when Redis does not know it yet). */
type ChannelAccessClient = { plexichatChannelAccess(...args: string[]): Promise<(string | null)[]> };

const defined = new WeakSet<Redis>();

/** Defines the channel-access script on `redis` (once per connection). */
function defineChannelAccess(redis: Redis): void {
  if (defined.has(redis)) return;
  defined.add(redis);
  redis.defineCommand('plexichatChannelAccess', { numberOfKeys: 0, lua: CHANNEL_ACCESS });
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

/** The cache read of a channel's row (what cachedChannel reads). */
function channelRowRead(
  rt: CacheRuntime & { models: Models },
  channelId: string,
): CachedRead<Row<'Channel'> | null, Record<string, unknown>> {
  const k = keys(rt.config.redis.key_prefix);
  return {
    epochKey: k.channel(channelId),
    valueKey: k.channelRow(channelId),
    load: () => rt.models.Channel.findByPk(channelId),
    codec: {
      store: (row) => (row ? row.get({ plain: true }) : null),
      revive: (plain) => reviveRow<Row<'Channel'>>(rt.models.Channel, plain),
    },
  };
}

/** Channel.findByPk through the cache (null, an unknown channel, is not cached). */
export function cachedChannel(
  rt: CacheRuntime & { models: Models },
  channelId: string,
): Promise<Row<'Channel'> | null> {
  const read = channelRowRead(rt, channelId);
  return readThrough(rt, read.epochKey, read.valueKey, read.load, read.codec);
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

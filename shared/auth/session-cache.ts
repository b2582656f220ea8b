import crypto from 'node:crypto';
import type { Redis } from 'ioredis';
import { DataTypes } from 'sequelize';
import type { Config } from '../config/index.js';
import { SECRET_USER_FIELDS, type Models } from '../db/models/index.js';
import type { LiveSession } from './sessions.js';

/**
 * A copy of a token's session and account in Redis, so that a request's token check is one Redis
 * round trip instead of a Postgres join (the busiest read of all: every request and handshake).
 *
 * Each copy is stored under its user's epoch, a random value; any write to the user's row or to
 * one of their sessions sets a new one (moveAccountEpochs, called after the commit through
 * shared/domain/invalidation.ts, `accounts`), and a copy under another epoch is not used. A reader
 * learns the epoch before it reads Postgres, so a copy of rows that a write changed meanwhile is
 * stored under the epoch the write then replaces. To know whose epoch to read before Postgres, the
 * token's user id is kept beside the copy (a session never changes user): written when the session
 * is issued and on every read from Postgres.
 *
 * Epochs are random rather than counters: an epoch key that expires or is evicted comes back as a
 * value no copy was stored under. The copy holds no secret (password hash, TOTP secrets).
 */

/** An epoch key lives this long (seconds) after its last move or creation; expiring costs one miss. */
const EPOCH_SECONDS = 86_400;
/** The token's user id is kept this long (seconds) after its last read from Postgres. */
const OWNER_SECONDS = 86_400;

type CacheRuntime = { redis: Redis; config: Pick<Config, 'redis' | 'security'> };

const keys = (prefix: string) => ({
  /** `<user id>|<epoch>|<JSON of the copy>`. */
  copy: (hash: string) => `${prefix}:auth-copy:${hash}`,
  /** The token's user id. */
  owner: (hash: string) => `${prefix}:auth-owner:${hash}`,
  epochPrefix: `${prefix}:auth-epoch:`,
});

/**
 * The copy of a token (ARGV[1]) when stored under its user's current epoch, else that epoch: the
 * user from the copy or from the owner key (ARGV[2]); the epoch key (ARGV[3] .. user id) created
 * with ARGV[4] (a value never used before) for ARGV[5] seconds when missing. Nothing known of the
 * token: false. Keys are built here (as the channel-access script does), one instance of Redis.
 */
const READ = `
local copy = redis.call('GET', ARGV[1])
local user
if copy then
  local bar = string.find(copy, '|', 1, true)
  if bar then user = string.sub(copy, 1, bar - 1) end
end
if not user then user = redis.call('GET', ARGV[2]) end
if not user then return false end
local key = ARGV[3] .. user
local epoch = redis.call('GET', key)
if not epoch then
  epoch = ARGV[4]
  redis.call('SET', key, epoch, 'EX', ARGV[5])
end
if copy then
  local head = user .. '|' .. epoch .. '|'
  if string.sub(copy, 1, #head) == head then return {epoch, string.sub(copy, #head + 1)} end
end
return {epoch}`;

type ReadClient = { plexichatAuthRead(...args: (string | number)[]): Promise<[string, string?] | null> };

const defined = new WeakSet<Redis>();

function client(redis: Redis): ReadClient {
  if (!defined.has(redis)) {
    defined.add(redis);
    redis.defineCommand('plexichatAuthRead', { numberOfKeys: 0, lua: READ });
  }
  return redis as unknown as ReadClient;
}

/** Unique per process and call: a fresh epoch (a random process part, then a counter). */
const processPart = crypto.randomBytes(9).toString('base64url');
let counter = 0;
function freshEpoch(): string {
  counter += 1;
  return `${processPart}.${counter.toString(36)}`;
}

/** What a read of the cache found: the live session (a current copy), or the epoch to store one under. */
export type CacheRead = { copy: LiveSession; epoch: string } | { copy: null; epoch: string | null };

/**
 * The current copy of the session of `hash` (a token's SHA-256), or the epoch to store a copy read
 * now under (null: the token's user is not known yet). Null when off or Redis failed: read Postgres.
 */
export async function readSessionCopy(
  rt: CacheRuntime & { models: Models },
  hash: Buffer,
): Promise<CacheRead | null> {
  if (rt.config.security.session_cache_seconds === 0) return null;
  const hex = hash.toString('hex');
  const k = keys(rt.config.redis.key_prefix);
  let found: [string, string?] | null;
  try {
    found = await client(rt.redis).plexichatAuthRead(
      k.copy(hex),
      k.owner(hex),
      k.epochPrefix,
      freshEpoch(),
      EPOCH_SECONDS,
    );
  } catch {
    return null;
  }
  if (!found) return { copy: null, epoch: null };
  const [epoch, json] = found;
  if (json === undefined) return { copy: null, epoch };
  try {
    return { copy: reviveCopy(rt.models, hash, json), epoch };
  } catch {
    // A copy that does not parse, or of another shape (another version's), is read again.
    return { copy: null, epoch };
  }
}

/**
 * Stores `live` (just read from Postgres) as the copy of `hash` under `epoch` as readSessionCopy
 * answered it before that read; without one, only the token's user, so the next read knows its
 * epoch. Best effort, not awaited by the request: a copy that is not stored is read again.
 */
export function storeSessionCopy(
  rt: CacheRuntime,
  hash: Buffer,
  epoch: string | null,
  live: LiveSession,
): void {
  const ttl = rt.config.security.session_cache_seconds;
  if (ttl === 0) return;
  const hex = hash.toString('hex');
  const k = keys(rt.config.redis.key_prefix);
  const pipeline = rt.redis.pipeline().set(k.owner(hex), live.user.id, 'EX', OWNER_SECONDS);
  if (epoch !== null) {
    const { token_hash: _hash, ...session } = live.session;
    const value = `${live.user.id}|${epoch}|${JSON.stringify({ user: live.user, session })}`;
    pipeline.set(k.copy(hex), value, 'EX', ttl);
  }
  pipeline.exec().catch(() => undefined);
}

/** Records that the token of `hash` (a new session's) belongs to `userId`, so its first use can be copied. */
export async function rememberSessionOwner(rt: CacheRuntime, hash: Buffer, userId: string): Promise<void> {
  if (rt.config.security.session_cache_seconds === 0) return;
  const k = keys(rt.config.redis.key_prefix);
  await rt.redis.set(k.owner(hash.toString('hex')), userId, 'EX', OWNER_SECONDS).catch(() => undefined);
}

/**
 * Gives each of `userIds` a new epoch, so no copy of their sessions stored before is used again.
 * Throws when Redis fails: the outbox relay that calls it retries (its copies would stay current).
 */
export async function moveAccountEpochs(
  redis: Redis,
  prefix: string,
  userIds: readonly string[],
): Promise<void> {
  if (userIds.length === 0) return;
  const k = keys(prefix);
  const pipeline = redis.pipeline();
  for (const id of new Set(userIds)) pipeline.set(`${k.epochPrefix}${id}`, freshEpoch(), 'EX', EPOCH_SECONDS);
  const results = await pipeline.exec();
  const failed = results?.find(([err]) => err);
  if (!results || failed) throw failed?.[0] ?? new Error('moving account epochs failed');
}

/** The attribute names of `model` whose type is a date (JSON carries them as strings). */
const dateFieldsOf = new WeakMap<object, string[]>();
function dateFields(model: { getAttributes(): Record<string, { type: unknown }> }): string[] {
  let fields = dateFieldsOf.get(model);
  if (!fields) {
    fields = Object.entries(model.getAttributes())
      .filter(([, a]) => a.type instanceof DataTypes.DATE)
      .map(([name]) => name);
    dateFieldsOf.set(model, fields);
  }
  return fields;
}

function reviveDates(row: Record<string, unknown>, fields: string[]): void {
  for (const field of fields) {
    const v = row[field];
    if (typeof v === 'string') row[field] = new Date(v);
  }
}

/** The fields a copy's user and session have: the models' attributes as findLiveSession presents them. */
const shapes = new WeakMap<Models, { user: string[]; session: string[] }>();
function shapeOf(models: Models): { user: string[]; session: string[] } {
  let shape = shapes.get(models);
  if (!shape) {
    const secret = new Set<string>(SECRET_USER_FIELDS);
    shape = {
      user: [...Object.keys(models.User.getAttributes()).filter((f) => !secret.has(f)), 'has_password'],
      session: Object.keys(models.Session.getAttributes()).filter((f) => f !== 'token_hash'),
    };
    shapes.set(models, shape);
  }
  return shape;
}

function hasExactly(row: Record<string, unknown>, fields: string[]): boolean {
  return Object.keys(row).length === fields.length && fields.every((f) => f in row);
}

/**
 * A stored copy as findLiveSession's answer again. Throws on one of another shape (stored by a
 * version with other columns): it is read again from Postgres.
 */
function reviveCopy(models: Models, hash: Buffer, json: string): LiveSession {
  const { user, session } = JSON.parse(json) as {
    user: Record<string, unknown>;
    session: Record<string, unknown>;
  };
  const shape = shapeOf(models);
  if (!hasExactly(user, shape.user) || !hasExactly(session, shape.session))
    throw new Error('a session copy of another shape');
  reviveDates(user, dateFields(models.User));
  reviveDates(session, dateFields(models.Session));
  session.token_hash = hash;
  const live = { user, session } as unknown as LiveSession;
  live.kind = live.session.kind;
  return live;
}

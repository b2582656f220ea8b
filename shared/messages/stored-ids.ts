import pg from 'pg';
import { prepared, runPrepared } from '../db/prepared.js';
import { newestMessageIdOf } from './newest-id.js';
import type { Runtime } from '../runtime.js';
import { decodeSnowflake } from '../snowflake.js';

/** How long a create's request id keeps pointing at the id it was stored under (retries, nonces). */
const REQUEST_TTL_SECONDS = 24 * 3600;

/** A message create about to be stored, as its job says. */
export interface CreateRequest {
  /** The id minted by whoever queued it (the job's id). */
  id: string;
  channelId: string;
}

const requestKey = (rt: Pick<Runtime, 'config'>, requestId: string) =>
  `${rt.config.redis.key_prefix}:msgreq:${requestId}`;
const promisedKey = (rt: Pick<Runtime, 'config'>, requestId: string) =>
  `${rt.config.redis.key_prefix}:msgpromised:${requestId}`;

/**
 * Records that a client was told `requestId` as its message's id before it was stored (a 202
 * answer): the message then keeps that id even when it is not above its channel's newest (it is
 * delivered out of id order, the one case that is), because a client reconciles by the id it got.
 */
export async function promiseId(rt: Pick<Runtime, 'config' | 'redis'>, requestId: string): Promise<void> {
  await rt.redis.set(promisedKey(rt, requestId), '1', 'EX', REQUEST_TTL_SECONDS);
}

/** The newest message id of each channel ($1), null for an empty one (shared/messages/newest-id.ts). */
export const NEWEST_IDS_SQL = `SELECT c::text AS channel_id, ${newestMessageIdOf('c')}::text AS last
     FROM unnest($1::bigint[]) AS c`;
const NEWEST = prepared<{ channel_id: string; last: string | null }>('stored_ids_newest', NEWEST_IDS_SQL);

/**
 * HoldOptions.facts (shared/outbox/order.ts) for channel keys (`channel:<id>`): each channel's
 * newest message id, read with the hold's lock. Only holders of a channel's key insert into it
 * (every message is stored by the create command under its channel's hold), so the fact stays
 * true while this process holds the key and raises it as it stores.
 */
export function newestIdFacts(keys: string[]): string {
  const rows = keys.map((key) => {
    const channelId = /^channel:(\d+)$/.exec(key)?.[1];
    if (!channelId) throw new Error(`not a channel's order key: ${key}`);
    return `(${pg.escapeLiteral(key)}, ${channelId}::bigint)`;
  });
  return `SELECT k.key, ${newestMessageIdOf('k.c')}::text AS value
            FROM (VALUES ${rows.join(', ')}) AS k(key, c)`;
}

/** Which of the ids ($1) are stored messages. */
const EXISTING = prepared<{ id: string }>(
  'stored_ids_existing',
  'SELECT id::text AS id FROM messages WHERE id = ANY($1::bigint[])',
);

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * The ids `creates` are stored under, in their order; to be called under the hold of their
 * channels (shared/outbox/order.ts), so no other process stores into them meanwhile. A create
 * keeps its request id when that is above the newest message of its channel (and the ones before
 * it in `creates`), the usual case; otherwise (another API process minted it earlier and queued it
 * later, a retry, a slow screening) it gets a new id above them, and the request id points at it
 * in Redis. So in each channel ids increase in the order messages are stored, which is the order
 * they are relayed in. A create stored before (a rerun of its job, or the same job id queued
 * again) keeps the id it was stored under (the insert finds the row and causes nothing again).
 */
export async function storedIds(
  rt: Runtime,
  creates: CreateRequest[],
  /** The newest message id of channels (null: none) as the hold read it (newestIdFacts); the rest are read. */
  known: ReadonlyMap<string, string | null> = new Map(),
): Promise<string[]> {
  if (creates.length === 0) return [];
  const channels = [...new Set(creates.map((c) => c.channelId))];
  const unknown = channels.filter((c) => !known.has(c));
  const newest = [
    ...channels.filter((c) => known.has(c)).map((c) => ({ channel_id: c, last: known.get(c) ?? null })),
    ...(unknown.length > 0 ? await runPrepared(rt.sequelize, NEWEST, [unknown]) : []),
  ];
  const last = new Map(newest.map((r) => [r.channel_id, BigInt(r.last ?? 0)]));
  // Only a request at or below its channel's newest can have been stored already (a rerun, a
  // repeated job id): the rare case, the only one that costs a look-up.
  const earlier = await earlierAttempts(
    rt,
    creates.filter((c) => BigInt(c.id) <= (last.get(c.channelId) ?? 0n)),
  );
  const ids: string[] = [];
  const moved: [string, string][] = [];
  for (const create of creates) {
    const stored = earlier.get(create.id);
    if (stored) {
      ids.push(stored);
      continue;
    }
    const floor = last.get(create.channelId) ?? 0n;
    const keep = BigInt(create.id) > floor || (await rt.redis.exists(promisedKey(rt, create.id))) === 1;
    const id = keep ? BigInt(create.id) : await mintAbove(rt, floor);
    if (id > floor) last.set(create.channelId, id);
    ids.push(id.toString());
    if (id.toString() !== create.id) moved.push([create.id, id.toString()]);
  }
  if (moved.length > 0) {
    const pipeline = rt.redis.pipeline();
    for (const [requestId, id] of moved)
      pipeline.set(requestKey(rt, requestId), id, 'EX', REQUEST_TTL_SECONDS);
    for (const [, result] of (await pipeline.exec()) ?? []) if (result instanceof Error) throw result;
  }
  return ids;
}

/** The id a create request was stored under (its own, unless it was given a new one), if stored. */
export async function storedIdOf(rt: Runtime, requestId: string): Promise<string> {
  return (await rt.redis.get(requestKey(rt, requestId))) ?? requestId;
}

/** The id each of `creates` was stored under before, for those that were. */
async function earlierAttempts(rt: Runtime, creates: CreateRequest[]): Promise<Map<string, string>> {
  if (creates.length === 0) return new Map();
  const pointed = await rt.redis.mget(creates.map((c) => requestKey(rt, c.id)));
  const candidates = creates.map((c, i) => [c.id, pointed[i] ?? c.id] as const);
  const found = await runPrepared(rt.sequelize, EXISTING, [
    candidates.flatMap(([requestId, id]) => [requestId, id]),
  ]);
  const exists = new Set(found.map((r) => r.id));
  const out = new Map<string, string>();
  for (const [requestId, id] of candidates) {
    if (exists.has(requestId)) out.set(requestId, requestId);
    else if (exists.has(id)) out.set(requestId, id);
  }
  return out;
}

/**
 * A new id above `floor`. Ids from this process increase; one from another process can be ahead
 * within the same millisecond (a higher worker id), so wait for the clock to pass it.
 */
async function mintAbove(rt: Pick<Runtime, 'snowflake'>, floor: bigint): Promise<bigint> {
  for (let attempt = 0; ; attempt++) {
    const id = rt.snowflake.nextBigInt();
    if (id > floor) return id;
    if (attempt >= 100) throw new Error(`cannot mint an id above ${floor}: is a clock ahead?`);
    await sleep(Math.min(50, Math.max(1, decodeSnowflake(floor).timestampMs - Date.now() + 1)));
  }
}

import { QueryTypes, type Sequelize } from 'sequelize';
import { isThreadType } from '../db/models/channel.js';
import type { DispatchMap } from '../events/dispatch-map.js';
import type { WebhookFanoutJob } from '../queues/index.js';
import type { Runtime } from '../runtime.js';
import type { OutgoingEventType } from './event-types.js';

/** What queueOutgoingEvent needs of a runtime. */
export type OutgoingRuntime = Pick<
  Runtime,
  'config' | 'redis' | 'sequelize' | 'queues' | 'snowflake' | 'logger'
>;

/** One event as it happened, with the payload the gateway sent for it. */
export interface OutgoingEvent<K extends OutgoingEventType> {
  type: K;
  /** The server; null for DMs and notes (never delivered). Omitted: the channel's server. */
  server_id?: string | null;
  /** The channel it happened in; omitted for server-wide events (members). */
  channel_id?: string | null;
  data: DispatchMap[K];
  /** Makes the fan-out job id stable, so an event emitted again by a retried job is delivered once. */
  key?: string;
}

/**
 * Per event type that some enabled subscription of a server takes: null when one takes it from
 * every channel, else the union of the channel filters. No entry: nobody wants that type.
 */
export type SubscriptionSummary = Partial<Record<OutgoingEventType, string[] | null>>;

/** A safety net only: every change of a server's subscriptions invalidates its summary at once. */
const SUMMARY_TTL_SECONDS = 3600;

/** Channels whose server (and thread parent) are remembered per process; both never change. */
const MAX_REMEMBERED_CHANNELS = 20_000;

function summaryKeys(rt: Pick<Runtime, 'config'>, serverId: string): { summary: string; generation: string } {
  const prefix = `${rt.config.redis.key_prefix}:event-webhooks`;
  return { summary: `${prefix}:summary:${serverId}`, generation: `${prefix}:generation:${serverId}` };
}

/**
 * Forgets the cached summary of a server's subscriptions: call after any change to them
 * (create, update, delete, disable). The generation counter makes a summary computed from a read
 * that raced with the change unusable, even if it is written after this.
 */
export async function invalidateSubscriptions(
  rt: Pick<Runtime, 'config' | 'redis'>,
  serverId: string,
): Promise<void> {
  const keys = summaryKeys(rt, serverId);
  await rt.redis.multi().incr(keys.generation).del(keys.summary).exec();
}

/**
 * A deleted server's summary and generation go. A reader that raced with the deletion may still
 * write a summary: it expires (SUMMARY_TTL_SECONDS), and no event of the server is left to read it.
 */
export async function forgetSubscriptions(
  rt: Pick<Runtime, 'config' | 'redis'>,
  serverId: string,
): Promise<void> {
  const keys = summaryKeys(rt, serverId);
  await rt.redis.del(keys.summary, keys.generation);
}

/** The summary for a set of subscriptions (their `events` and `channel_ids`). */
export function summarize(rows: { events: string[]; channel_ids: string[] | null }[]): SubscriptionSummary {
  const summary: SubscriptionSummary = {};
  for (const row of rows) {
    for (const type of row.events as OutgoingEventType[]) {
      const current = summary[type];
      if (current === null) continue;
      if (row.channel_ids === null) summary[type] = null;
      else summary[type] = [...new Set([...(current ?? []), ...row.channel_ids.map(String)])];
    }
  }
  return summary;
}

/** One Redis round trip per event while the summary is cached; Postgres only after a change. */
async function loadSummary(rt: OutgoingRuntime, serverId: string): Promise<SubscriptionSummary> {
  const keys = summaryKeys(rt, serverId);
  const [cached, generation = null] = await rt.redis.mget(keys.summary, keys.generation);
  const current = generation ?? '0';
  if (cached) {
    const parsed = JSON.parse(cached) as { g: string; s: SubscriptionSummary };
    if (parsed.g === current) return parsed.s;
  }
  const rows = await rt.sequelize.query<{ events: string[]; channel_ids: string[] | null }>(
    'SELECT events, channel_ids FROM event_webhooks WHERE server_id = $1 AND enabled',
    { bind: [serverId], type: QueryTypes.SELECT },
  );
  const summary = summarize(rows);
  await rt.redis.set(keys.summary, JSON.stringify({ g: current, s: summary }), 'EX', SUMMARY_TTL_SECONDS);
  return summary;
}

interface ChannelScope {
  server_id: string | null;
  /** A thread's parent channel (its events match the parent's filter); null for other channels. */
  thread_parent_id: string | null;
}

// Per database (several runtimes may share a process, as in tests). A channel's server and a
// thread's parent never change, so entries never go stale; a deleted channel's entry is harmless.
const scopes = new WeakMap<Sequelize, Map<string, ChannelScope>>();

async function channelScope(rt: OutgoingRuntime, channelId: string): Promise<ChannelScope | null> {
  let known = scopes.get(rt.sequelize);
  if (!known) {
    known = new Map();
    scopes.set(rt.sequelize, known);
  }
  const hit = known.get(channelId);
  if (hit) return hit;
  const [row] = await rt.sequelize.query<{
    server_id: string | null;
    parent_id: string | null;
    channel_type: string;
  }>('SELECT server_id, parent_id, channel_type FROM channels WHERE id = $1', {
    bind: [channelId],
    type: QueryTypes.SELECT,
  });
  if (!row) return null;
  const scope = {
    server_id: row.server_id === null ? null : String(row.server_id),
    thread_parent_id: isThreadType(row.channel_type) && row.parent_id !== null ? String(row.parent_id) : null,
  };
  if (known.size >= MAX_REMEMBERED_CHANNELS) {
    const oldest = known.keys().next().value;
    if (oldest !== undefined) known.delete(oldest);
  }
  known.set(channelId, scope);
  return scope;
}

/** Whether a summary entry lets an event in `channelId` (a thread: also its parent) through. */
function wanted(
  entry: string[] | null | undefined,
  channelId: string | null,
  parentId: string | null,
): boolean {
  if (entry === undefined) return false;
  if (entry === null || channelId === null) return true;
  return entry.includes(channelId) || (parentId !== null && entry.includes(parentId));
}

/**
 * The `fanout` job for an event, or null when no subscription of its server wants it (DMs never
 * go out). Costs one Redis read while the server's summary is cached (a channel's server is
 * remembered). `eventId` and `timestamp` are the event's own when it has them already (the outbox
 * mints them in the command, so a relay that runs twice names the same event). Throws on failure.
 */
export async function fanoutJobFor<K extends OutgoingEventType>(
  rt: OutgoingRuntime,
  event: OutgoingEvent<K>,
  eventId?: string,
  timestamp?: number,
): Promise<WebhookFanoutJob | null> {
  if (event.server_id === null) return null;
  const channelId = event.channel_id ?? null;
  const scope = channelId ? await channelScope(rt, channelId) : null;
  const serverId = event.server_id ?? scope?.server_id ?? null;
  if (serverId === null) return null;
  const summary = await loadSummary(rt, serverId);
  if (!wanted(summary[event.type], channelId, scope?.thread_parent_id ?? null)) return null;
  return {
    kind: 'fanout',
    event_id: eventId ?? rt.snowflake.next(),
    server_id: serverId,
    channel_id: channelId,
    type: event.type,
    timestamp: timestamp ?? Math.floor(Date.now() / 1000),
    data: event.data,
  };
}

/**
 * Hands an event to the server's outgoing event webhooks: called right after the gateway dispatch
 * of every subscribable event that does not go through the outbox (shared/outbox, whose `outgoing`
 * effect is the durable way). Queues one `fanout` job when some subscription wants the event,
 * whose worker stores and queues the deliveries. Never throws: a failure here is logged and must
 * not undo the event itself.
 */
export async function queueOutgoingEvent<K extends OutgoingEventType>(
  rt: OutgoingRuntime,
  event: OutgoingEvent<K>,
): Promise<void> {
  try {
    const job = await fanoutJobFor(rt, event);
    if (!job) return;
    await rt.queues.webhooks.add('fanout', job, event.key ? { jobId: `whf-${event.key}` } : {});
  } catch (err) {
    rt.logger.warn({ err: (err as Error).message, event: event.type }, 'could not queue an outgoing event');
  }
}

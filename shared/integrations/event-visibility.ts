import { isThreadType, type Row } from '../db/models/index.js';
import type { DispatchMap } from '../events/dispatch-map.js';
import type { ServerPolicy } from '../permissions/index.js';
import { Permission, channelPermissions, has, type Overwrite } from '../permissions/index.js';
import type { ServerChannelObject } from '../presenters/types.js';
import type { Runtime } from '../runtime.js';
import { PING_EVENT, type OutgoingEventType } from './event-types.js';

/** What decides who may see an event: its type, the channel it happened in, and its data. */
export interface EventSubject {
  type: string;
  /** The channel (or thread) it happened in; null for server-wide events (members, PING). */
  channel_id: string | null;
  data: unknown;
}

/**
 * The channel an outgoing event happened in, read from its gateway payload (as stored in a
 * delivery's body); null for server-wide events. Exhaustive over the subscribable types, so a
 * new type must say where its channel is.
 */
export function eventChannelId(type: string, data: unknown): string | null {
  if (type === PING_EVENT || typeof data !== 'object' || data === null) return null;
  const t = type as OutgoingEventType;
  switch (t) {
    case 'MESSAGE_CREATE':
    case 'MESSAGE_UPDATE':
    case 'MESSAGE_DELETE':
    case 'MESSAGE_DELETE_BULK':
    case 'MESSAGE_REACTION_ADD':
    case 'MESSAGE_REACTION_REMOVE':
      return String((data as DispatchMap[typeof t]).channel_id);
    case 'CHANNEL_CREATE':
    case 'CHANNEL_UPDATE':
    case 'CHANNEL_DELETE':
      return String((data as DispatchMap[typeof t]).id);
    case 'SERVER_MEMBER_ADD':
    case 'SERVER_MEMBER_REMOVE':
      return null;
    default:
      // An unknown type (none is stored today) is treated as a channel event of no channel:
      // nobody may see it, which fails closed.
      return t satisfies never;
  }
}

/**
 * Whether a member (their policy, in the event's server) may see the event now: every server-wide
 * event, and a channel event only with VIEW_CHANNEL there (a thread: its parent's; a private
 * thread only for its members and thread managers). `channel` is the channel's row, null when it
 * no longer exists: then only a CHANNEL_DELETE is judged, by the overwrites it carries; anything
 * else from a vanished channel is withheld.
 */
export async function maySeeEvent(
  policy: ServerPolicy,
  channel: Row<'Channel'> | null,
  event: EventSubject,
): Promise<boolean> {
  if (event.channel_id === null) return true;
  if (channel) return has(await policy.channelPermissions(channel), Permission.VIEW_CHANNEL);
  const gone = event.type === 'CHANNEL_DELETE' ? (event.data as ServerChannelObject) : null;
  if (!gone?.permission_overwrites || isThreadType(gone.channel_type)) return false;
  const overwrites: Overwrite[] = gone.permission_overwrites.map((o) => ({
    id: o.id,
    type: o.type,
    allow: BigInt(o.allow),
    deny: BigInt(o.deny),
  }));
  return has(channelPermissions(policy.facts, overwrites), Permission.VIEW_CHANNEL);
}

/**
 * Judges many events of one server for one member, with one read for all their channels: whether
 * the member may see each, in order. For delivery logs, where a page holds up to 100 events.
 */
export async function maySeeEvents(
  rt: Pick<Runtime, 'models'>,
  policy: ServerPolicy,
  events: EventSubject[],
): Promise<boolean[]> {
  const channelIds = [...new Set(events.flatMap((e) => (e.channel_id === null ? [] : [e.channel_id])))];
  const rows =
    channelIds.length === 0
      ? []
      : await rt.models.Channel.findAll({ where: { id: channelIds, server_id: policy.server.id } });
  const byId = new Map(rows.map((c) => [String(c.id), c]));
  const verdicts: boolean[] = [];
  for (const event of events) {
    const channel = event.channel_id === null ? null : (byId.get(event.channel_id) ?? null);
    verdicts.push(await maySeeEvent(policy, channel, event));
  }
  return verdicts;
}

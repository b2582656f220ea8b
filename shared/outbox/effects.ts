import type { DispatchMap, DispatchName, RoomAnnouncement } from '../events/index.js';
import type { OutgoingEventType } from '../integrations/event-types.js';
import type { OutgoingEvent } from '../integrations/outgoing-events.js';
import type { Moved } from '../domain/invalidation.js';
import type { JobPayloads, QueueName } from '../queues/index.js';
import type { IdMinter } from '../snowflake-lease.js';

/** Options of a follow-up job: a natural job id (stable across retries) and a delay. */
export interface JobEffectOptions {
  /** Without one the job id is `ob-<event id>`, so a relay that runs twice queues it once. */
  jobId?: string;
  delay?: number;
}

/**
 * One effect of a command as stored in its outbox row (plain JSON). Relayed in order after the
 * commit, each under the event id `<outbox row id>.<index>` (shared/outbox/relay.ts).
 */
export type Effect =
  | { k: 'dispatch'; rooms: string[]; except?: string[]; t: DispatchName; d: unknown }
  | { k: 'join' | 'leave'; room: string; targets: string[]; announce?: Record<string, RoomAnnouncement> }
  | { k: 'disconnect'; room: string }
  | {
      k: 'outgoing';
      /** The event's snowflake and unix time, minted in the command: a second relay names the same event. */
      event_id: string;
      timestamp: number;
      event: OutgoingEvent<OutgoingEventType>;
    }
  | { k: 'invalidate'; moved: Moved }
  | { k: 'job'; queue: QueueName; name: string; data: unknown; opts?: JobEffectOptions }
  /** Rooms (and voice) of `users` recomputed from the committed permissions at relay time. */
  | { k: 'permissions'; server: string; users: string[]; announce?: boolean }
  /**
   * Live voice sessions of `users` checked against the committed permissions at relay time, after
   * `move` (a moderator's move or disconnect of one of them) is applied.
   */
  | { k: 'voice'; server: string; users: string[]; move?: VoiceMove }
  | { k: 'refresh'; cache: RefreshedCache; ids: string[] };

/**
 * A moderator's decision about one user's voice session: a move into `to`, or a disconnect (`to`
 * null). Applied at relay time only while the user is still in `from` with that `session`, so a
 * repeat, or a relay after they left or moved on their own, changes nothing.
 */
export interface VoiceMove {
  user: string;
  session: string;
  from: string;
  to: string | null;
}

/**
 * Redis state derived from Postgres that a command's change makes stale, refreshed at relay time
 * from the committed rows (so a repeat is harmless): `automod`, a server's screening flag and rule
 * version; `event-webhooks`, a server's subscription summary (both forgotten once the server is
 * deleted); `push`, a user's subscriber flag; `ip-rules`, the version counter every process's
 * IP-rule cache watches (ids: `['all']`); `voice`, every live voice state in a server checked
 * against the committed permissions (a deleted server's all end); `voice-channel`, the same for a
 * channel's (a deleted channel's all end); `server-epochs` and `channel-epochs`, the permission
 * cache epochs of deleted servers and channels, retired (facts-cache.ts retireEpochs; a living
 * one's: nothing, the `invalidate` effect moves them).
 */
export type RefreshedCache =
  | 'automod'
  | 'event-webhooks'
  | 'push'
  | 'ip-rules'
  | 'voice'
  | 'voice-channel'
  | 'server-epochs'
  | 'channel-epochs';

/**
 * What a command causes besides its rows, collected while its transaction runs and stored with it
 * as one outbox row (shared/outbox/command.ts). Nothing here talks to Redis or the queues: the
 * relay does, after the commit. Methods mirror EventPublisher's and queueOutgoingEvent's.
 */
export class Effects {
  readonly list: Effect[] = [];

  constructor(
    private readonly ids: IdMinter,
    /** What the effects are ordered by (a channel's or server's room); the first effect's room if unset. */
    public orderKey: string | null = null,
  ) {}

  /** Sends `t` with payload `d` to every connection in any of `rooms` (minus `except`). */
  dispatch<K extends DispatchName>(rooms: string[], t: K, d: DispatchMap[K], except: string[] = []): this {
    this.list.push({ k: 'dispatch', rooms, ...(except.length > 0 ? { except } : {}), t, d });
    return this;
  }

  /** Every session in `room` joins `targets` (EventPublisher.joinRooms). */
  joinRooms(room: string, targets: string[], announce?: Record<string, RoomAnnouncement>): this {
    this.list.push({ k: 'join', room, targets, ...(announce ? { announce } : {}) });
    return this;
  }

  /** Every session in `room` leaves `targets` (EventPublisher.leaveRooms). */
  leaveRooms(room: string, targets: string[], announce?: Record<string, RoomAnnouncement>): this {
    this.list.push({ k: 'leave', room, targets, ...(announce ? { announce } : {}) });
    return this;
  }

  /** Ends every session in `room` (EventPublisher.disconnect). */
  disconnect(room: string): this {
    this.list.push({ k: 'disconnect', room });
    return this;
  }

  /** The event for the server's outgoing event webhooks (queueOutgoingEvent's, made durable). */
  outgoing<K extends OutgoingEventType>(event: OutgoingEvent<K>): this {
    this.list.push({
      k: 'outgoing',
      event_id: this.ids.next(),
      timestamp: Math.floor(Date.now() / 1000),
      event: event as unknown as OutgoingEvent<OutgoingEventType>,
    });
    return this;
  }

  /**
   * Moves the caches of what `moved` names once the change is visible, through the one invalidation
   * function (shared/domain/invalidation.ts). Nothing named: no effect.
   */
  invalidate(moved: Moved): this {
    if (moved.servers?.length || moved.channels?.length || moved.users?.length || moved.accounts?.length)
      this.list.push({ k: 'invalidate', moved });
    return this;
  }

  /**
   * The gateway rooms and live voice sessions of `users` in `server` follow their permissions
   * (shared/permission-changes.ts), read from the committed rows when relayed: a row relayed late
   * never brings back rooms a later change took away. `announce`: CHANNEL_CREATE / CHANNEL_DELETE
   * to sessions that gain or lose sight of a channel. No users: no effect.
   */
  permissionsChanged(server: string, users: string[], options: { announce?: boolean } = {}): this {
    if (users.length > 0)
      this.list.push({ k: 'permissions', server, users, ...(options.announce ? { announce: true } : {}) });
    return this;
  }

  /**
   * Only the live voice sessions of `users` follow their permissions (a timeout, or an overwrite
   * whose room changes are already collected). No users: no effect.
   */
  enforceVoice(server: string, users: string[]): this {
    if (users.length > 0) this.list.push({ k: 'voice', server, users });
    return this;
  }

  /**
   * Moves (or disconnects) a user's live voice session once the command commits (see VoiceMove),
   * then checks it against their permissions as enforceVoice does.
   */
  moveVoice(server: string, move: VoiceMove): this {
    this.list.push({ k: 'voice', server, users: [move.user], move });
    return this;
  }

  /** Recomputes (or forgets) `cache` for `ids` from the committed rows (see RefreshedCache). */
  refresh(cache: RefreshedCache, ids: string[]): this {
    if (ids.length > 0) this.list.push({ k: 'refresh', cache, ids: [...new Set(ids)] });
    return this;
  }

  /** A follow-up BullMQ job (link previews, push, a system message...). */
  job<Q extends QueueName>(queue: Q, name: string, data: JobPayloads[Q], opts?: JobEffectOptions): this {
    this.list.push({ k: 'job', queue, name, data, ...(opts ? { opts } : {}) });
    return this;
  }

  /** The order key to store: the one set, or the first effect's first room, or `-`. */
  key(): string {
    if (this.orderKey) return this.orderKey;
    for (const e of this.list) {
      if (e.k === 'dispatch') return e.rooms[0] ?? '-';
      if (e.k === 'join' || e.k === 'leave' || e.k === 'disconnect') return e.room;
    }
    return '-';
  }
}

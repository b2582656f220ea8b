import type { Redis } from 'ioredis';
import type { Config } from '../config/index.js';
import type {
  DispatchEnvelope,
  DispatchMap,
  DispatchName,
  RoomAnnouncement,
  RoomOp,
} from './dispatch-map.js';

/** The Redis key (channel prefix) of the socket.io adapter the gateways cluster through. */
export function socketIoKey(config: Pick<Config, 'redis'>): string {
  return `${config.redis.key_prefix}:socket.io`;
}

/** The Redis stream every gateway reads dispatches and room changes from, in one total order. */
export function eventStreamKey(config: Pick<Config, 'redis'>): string {
  return `${config.redis.key_prefix}:gw:events`;
}

/**
 * How long the event stream keeps entries: a session's resume window, plus two heartbeats (a
 * session's recorded position is refreshed on each) and a margin for clock differences.
 */
export function eventRetentionMs(config: Pick<Config, 'gateway'>): number {
  const g = config.gateway;
  return (g.resume_window_seconds + 2 * g.presence_heartbeat_seconds) * 1000 + 10_000;
}

/**
 * One entry of the event stream: a dispatch (`k: 'd'`), a room change (`k: 'r'`), or a gateway's
 * heartbeat (`k: 'h'`, no effect: it keeps a recent entry in the stream for sessions' positions).
 * `eid` is the event id of an effect relayed from the outbox (shared/outbox): the outbox relays at
 * least once, and gateways apply an entry whose `eid` they have seen already only once.
 */
export type StreamEntry =
  | ({ k: 'd'; eid?: string } & Omit<DispatchEnvelope, 'id'>)
  | { k: 'r'; op: RoomOp; eid?: string }
  | { k: 'h' };

/**
 * The one way any role talks to connected clients. Every dispatch and room change is appended to
 * one Redis stream (XADD, trimmed by age); every gateway process reads it in order and delivers to
 * its own sessions, stamping the per-session sequence number. The entry id is the event's offset:
 * a session records the offset of each frame it is sent, so any gateway can resume it by reading
 * the stream after the client's last frame (Centrifugo's recovery model with one stream).
 */
export class EventPublisher {
  private readonly key: string;
  private readonly retentionMs: number;

  constructor(
    private readonly redis: Redis,
    config: Pick<Config, 'redis' | 'gateway'>,
  ) {
    this.key = eventStreamKey(config);
    this.retentionMs = eventRetentionMs(config);
  }

  private async add(entry: StreamEntry): Promise<void> {
    // MINID ~ trims whole radix-tree nodes older than the retention: cheap, never too much.
    const minId = Math.max(0, Date.now() - this.retentionMs);
    await this.redis.xadd(this.key, 'MINID', '~', String(minId), '*', 'e', JSON.stringify(entry));
  }

  /**
   * Sends `t` with payload `d` to every connection in any of `rooms` (minus `except`). `eid`: the
   * outbox event id of a relayed effect (every method takes one), which gateways apply once.
   */
  dispatch<K extends DispatchName>(
    targetRooms: string[],
    t: K,
    d: DispatchMap[K],
    except: string[] = [],
    eid?: string,
  ): Promise<void> {
    return this.add({
      k: 'd',
      ...(eid ? { eid } : {}),
      rooms: targetRooms,
      ...(except.length > 0 ? { except } : {}),
      t,
      d,
    });
  }

  /**
   * Makes every session in `room` (e.g. a user's room) join `targetRooms`, on every gateway.
   * Sessions are ours rather than socket.io's rooms because a dropped session keeps its rooms
   * (and collects its events) until it resumes.
   */
  joinRooms(
    room: string,
    targetRooms: string[],
    announce?: Record<string, RoomAnnouncement>,
    eid?: string,
  ): Promise<void> {
    return this.add({
      k: 'r',
      ...(eid ? { eid } : {}),
      op: { op: 'join', room, targets: targetRooms, ...(announce ? { announce } : {}) },
    });
  }

  /** Makes every session in `room` leave `targetRooms` at once (lost permission). */
  leaveRooms(
    room: string,
    targetRooms: string[],
    announce?: Record<string, RoomAnnouncement>,
    eid?: string,
  ): Promise<void> {
    return this.add({
      k: 'r',
      ...(eid ? { eid } : {}),
      op: { op: 'leave', room, targets: targetRooms, ...(announce ? { announce } : {}) },
    });
  }

  /** Appends a no-op entry (gateways do on each heartbeat; see StreamEntry). */
  heartbeat(): Promise<void> {
    return this.add({ k: 'h' });
  }

  /** Ends every session in `room` (revoked session, banned user): connections close, no resume. */
  disconnect(room: string, eid?: string): Promise<void> {
    return this.add({ k: 'r', ...(eid ? { eid } : {}), op: { op: 'disconnect', room } });
  }
}

import crypto from 'node:crypto';
import { Emitter } from '@socket.io/redis-emitter';
import type { Redis } from 'ioredis';
import type { Config } from '../config/index.js';
import {
  DISPATCH_EVENT,
  ROOMS_EVENT,
  type DispatchEnvelope,
  type DispatchMap,
  type DispatchName,
  type RoomAnnouncement,
  type RoomOp,
} from './dispatch-map.js';

/** The Redis key (channel prefix) shared by the socket.io adapter and every emitter. */
export function socketIoKey(config: Pick<Config, 'redis'>): string {
  return `${config.redis.key_prefix}:socket.io`;
}

/**
 * The one way any role talks to connected clients. Events go to every gateway process as a
 * server-side emit through @socket.io/redis-emitter; each gateway then delivers to its own
 * connections in the target rooms, stamping the per-session sequence number.
 *
 * The emitter fires its PUBLISH and forgets it; we capture that promise so a failed publish
 * rejects here (a worker job then retries) instead of becoming an unhandled rejection.
 */
export class EventPublisher {
  private readonly emitter: Emitter;
  private captured: Promise<unknown> | null = null;
  /** Envelope ids: this publisher's random prefix and a counter, unique across processes. */
  private readonly idPrefix = crypto.randomBytes(6).toString('base64url');
  private counter = 0;

  constructor(redis: Redis, config: Pick<Config, 'redis'>) {
    const client = {
      publish: (channel: string, message: string | Buffer): Promise<number> => {
        const result = redis.publish(channel, message);
        this.captured = result;
        return result;
      },
    };
    this.emitter = new Emitter(client, { key: socketIoKey(config) });
  }

  private async run(send: () => void): Promise<void> {
    this.captured = null;
    send();
    const published = this.captured as Promise<unknown> | null;
    this.captured = null;
    if (published) await published;
  }

  /** Sends `t` with payload `d` to every connection in any of `rooms` (minus `except`). */
  dispatch<K extends DispatchName>(
    targetRooms: string[],
    t: K,
    d: DispatchMap[K],
    except: string[] = [],
  ): Promise<void> {
    const envelope: DispatchEnvelope<K> = {
      id: this.nextId(),
      rooms: targetRooms,
      t,
      d,
    };
    if (except.length > 0) envelope.except = except;
    return this.run(() => this.emitter.serverSideEmit(DISPATCH_EVENT, envelope));
  }

  /**
   * Makes every session in `room` (e.g. a user's room) join `targetRooms`, on every gateway.
   * Sessions are ours rather than socket.io's rooms because a dropped session keeps its rooms
   * (and collects its events) until it resumes.
   */
  joinRooms(room: string, targetRooms: string[], announce?: Record<string, RoomAnnouncement>): Promise<void> {
    return this.rooms({
      op: 'join',
      id: this.nextId(),
      room,
      targets: targetRooms,
      ...(announce ? { announce } : {}),
    });
  }

  /** Makes every session in `room` leave `targetRooms` at once (lost permission). */
  leaveRooms(
    room: string,
    targetRooms: string[],
    announce?: Record<string, RoomAnnouncement>,
  ): Promise<void> {
    return this.rooms({
      op: 'leave',
      id: this.nextId(),
      room,
      targets: targetRooms,
      ...(announce ? { announce } : {}),
    });
  }

  private nextId(): string {
    return `${this.idPrefix}.${++this.counter}`;
  }

  /** Ends every session in `room` (revoked session, banned user): connections close, no resume. */
  disconnect(room: string): Promise<void> {
    return this.rooms({ op: 'disconnect', room });
  }

  private rooms(op: RoomOp): Promise<void> {
    return this.run(() => this.emitter.serverSideEmit(ROOMS_EVENT, op));
  }
}

import { Emitter } from '@socket.io/redis-emitter';
import type { Redis } from 'ioredis';
import type { Config } from '../config/index.js';
import {
  DISPATCH_EVENT,
  type DispatchEnvelope,
  type DispatchMap,
  type DispatchName,
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
    const envelope: DispatchEnvelope<K> = { rooms: targetRooms, t, d };
    if (except.length > 0) envelope.except = except;
    return this.run(() => this.emitter.serverSideEmit(DISPATCH_EVENT, envelope));
  }

  /** Makes every connection in `room` (e.g. a user's room) join `targetRooms`, on every gateway. */
  joinRooms(room: string, targetRooms: string[]): Promise<void> {
    return this.run(() => this.emitter.in(room).socketsJoin(targetRooms));
  }

  /** Makes every connection in `room` leave `targetRooms` at once (lost permission). */
  leaveRooms(room: string, targetRooms: string[]): Promise<void> {
    return this.run(() => this.emitter.in(room).socketsLeave(targetRooms));
  }

  /** Disconnects every connection in `room` (revoked session, banned user). */
  disconnect(room: string): Promise<void> {
    return this.run(() => this.emitter.in(room).disconnectSockets(true));
  }
}

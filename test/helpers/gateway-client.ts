import { io, type Socket } from 'socket.io-client';
import type { DispatchFrame } from '../../shared/events/index.js';

/** A real socket.io client that records every dispatch it receives, in order. */
export interface GatewayClient {
  socket: Socket;
  frames: DispatchFrame[];
  /** Resolves once `count` frames matching `predicate` have arrived (in total). */
  waitForFrames(
    count: number,
    predicate?: (f: DispatchFrame) => boolean,
    timeoutMs?: number,
  ): Promise<DispatchFrame[]>;
  close(): void;
}

/** Connects to a gateway at `origin` over WebSocket with `auth` (e.g. `{ token }`) and waits for READY. */
export async function connectGateway(
  origin: string,
  auth: Record<string, unknown>,
  path = '/gateway',
): Promise<GatewayClient> {
  const socket = io(origin, { path, transports: ['websocket'], auth, reconnection: false, forceNew: true });
  const frames: DispatchFrame[] = [];
  const waiters = new Set<() => void>();
  socket.on('dispatch', (frame: DispatchFrame) => {
    frames.push(frame);
    for (const w of waiters) w();
  });
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', () => resolve());
    socket.once('connect_error', reject);
  });
  const client: GatewayClient = {
    socket,
    frames,
    waitForFrames(count, predicate = () => true, timeoutMs = 10000) {
      return new Promise((resolve, reject) => {
        const check = (): void => {
          const matching = frames.filter(predicate);
          if (matching.length >= count) {
            cleanup();
            resolve(matching);
          }
        };
        const timer = setTimeout(() => {
          cleanup();
          reject(new Error(`expected ${count} frames, got ${JSON.stringify(frames)}`));
        }, timeoutMs);
        const cleanup = (): void => {
          clearTimeout(timer);
          waiters.delete(check);
        };
        waiters.add(check);
        check();
      });
    },
    close: () => socket.disconnect(),
  };
  await client.waitForFrames(1, (f) => f.t === 'READY');
  return client;
}

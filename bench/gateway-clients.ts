/**
 * socket.io gateway clients for the scale bench, shared by its main thread and the fan-out
 * worker threads (bench/fanout-worker.ts).
 */
import { io, type Socket } from 'socket.io-client';

/** A MESSAGE_CREATE as the clients read it. */
export interface Created {
  id: string;
  channel_id: string;
  nonce?: string | null;
}
type Frame = { t: string; d: unknown };

/** How long a client waits for READY before the bench gives up (rather than hang). */
const READY_TIMEOUT_MS = 60_000;

/** Opens a socket.io client with `token` and resolves once it got READY. */
export function connect(origin: string, token: string, onMessage?: (m: Created) => void): Promise<Socket> {
  const socket = io(origin, { path: '/gateway', transports: ['websocket'], auth: { token } });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      socket.disconnect();
      reject(new Error(`no READY within ${READY_TIMEOUT_MS / 1000} s`));
    }, READY_TIMEOUT_MS);
    socket.on('connect_error', (err) => reject(err));
    socket.on('dispatch', (frame: Frame) => {
      if (frame.t === 'READY') {
        clearTimeout(timer);
        resolve(socket);
      } else if (frame.t === 'MESSAGE_CREATE' && onMessage) onMessage(frame.d as Created);
    });
  });
}

/** Opens `count` clients, `batch` handshakes at a time. */
export async function connectMany<T = Socket>(
  count: number,
  batch: number,
  open: (i: number) => Promise<T>,
): Promise<T[]> {
  const sockets: T[] = [];
  for (let i = 0; i < count; i += batch) {
    sockets.push(
      ...(await Promise.all(Array.from({ length: Math.min(batch, count - i) }, (_, k) => open(i + k)))),
    );
  }
  return sockets;
}

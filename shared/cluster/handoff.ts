import type { Server as HttpServer } from 'node:http';
import net from 'node:net';
import { isFull } from '../net/connection-cap.js';

/**
 * The supervisor and its role processes share one listening port without copying any traffic:
 * the supervisor reads just enough of a new connection to choose a process (the request line),
 * stops reading, and passes the socket itself over IPC along with the bytes it read.
 */

/** IPC message carrying a connection (the socket travels as the message's handle). */
export interface HandoffMessage {
  type: 'plexichat:connection';
  /** Bytes the supervisor read before choosing this process; the HTTP parser sees them first. */
  head: Uint8Array;
}

/** IPC message telling the supervisor which process holds an engine.io session (sticky routing). */
export interface SessionMessage {
  type: 'plexichat:sid';
  sid: string;
  op: 'add' | 'remove';
}

/** IPC message: a role process finished starting. */
export interface ReadyMessage {
  type: 'plexichat:ready';
}

export type ClusterMessage = HandoffMessage | SessionMessage | ReadyMessage;

/** True for messages of this protocol; anything else on the IPC channel is ignored. */
export function isClusterMessage(message: unknown): message is ClusterMessage {
  const type = (message as { type?: unknown } | null)?.type;
  return type === 'plexichat:connection' || type === 'plexichat:sid' || type === 'plexichat:ready';
}

/** Serves connections handed over by the supervisor on `server`, which itself listens nowhere. */
export function acceptHandoffs(server: HttpServer): () => void {
  const onMessage = (message: unknown, handle: unknown): void => {
    if (!isClusterMessage(message) || message.type !== 'plexichat:connection') return;
    // The socket can close while in transit; then there is nothing to serve.
    if (!(handle instanceof net.Socket)) return;
    // At its connection cap (shared/net/connection-cap.ts) the process keeps its descriptors.
    if (isFull(server)) {
      handle.destroy();
      return;
    }
    // What http.Server's own listener would have done on accept (noDelay is its default): a socket
    // handed over skips that, and with Nagle on, a small write (a gateway frame, an answer) behind
    // an unacknowledged one waits for the client's ACK (no difference measured on loopback).
    handle.setNoDelay(true);
    server.emit('connection', handle);
    // The parser must see the bytes the supervisor consumed before anything read from the socket.
    handle.emit('data', Buffer.from(message.head));
    handle.resume();
  };
  process.on('message', onMessage);
  return () => {
    process.off('message', onMessage);
  };
}

/** Reports engine.io sessions of `engine` to the supervisor, so their later requests reach us. */
export function reportSessions(engine: {
  on(
    event: 'connection',
    listener: (socket: { id: string; once(e: 'close', l: () => void): void }) => void,
  ): void;
}): void {
  const send = (message: SessionMessage): void => {
    if (process.connected) process.send?.(message);
  };
  engine.on('connection', (socket) => {
    send({ type: 'plexichat:sid', sid: socket.id, op: 'add' });
    socket.once('close', () => send({ type: 'plexichat:sid', sid: socket.id, op: 'remove' }));
  });
}

/** Tells the supervisor this process is serving. */
export function reportReady(): void {
  if (process.connected) process.send?.({ type: 'plexichat:ready' } satisfies ReadyMessage);
}

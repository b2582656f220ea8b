import http from 'node:http';
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
  /** The sequence number of the last numbered frame received (what a resume sends). */
  lastSeq(): number;
  /** Sends a client command and resolves with its ack. */
  command(name: string, payload: unknown): Promise<Record<string, unknown>>;
}

/** What a refused handshake's connect_error carries (`data`: code, message, retry_after...). */
export type Refused = Error & { data?: { code: string; message?: string; retry_after?: number } };

/**
 * Opens a socket.io client at `origin` with `auth` and resolves with the connect_error the server
 * refused it with (rejects if it connected). `headers` are sent with the handshake (X-Forwarded-For
 * to speak for another address: the tests trust it from loopback).
 */
export function refusalOf(
  origin: string,
  auth: Record<string, unknown>,
  options: { path?: string; namespace?: string; headers?: Record<string, string> } = {},
): Promise<Refused> {
  return new Promise((resolve, reject) => {
    const socket = io(`${origin}${options.namespace ?? ''}`, {
      path: options.path ?? '/gateway',
      transports: ['websocket'],
      auth,
      reconnection: false,
      forceNew: true,
      extraHeaders: options.headers ?? {},
    });
    socket.once('connect', () => {
      socket.disconnect();
      reject(new Error('connected although it should have been refused'));
    });
    socket.once('connect_error', (err: Refused) => {
      socket.disconnect();
      resolve(err);
    });
  });
}

/** How a client connects: the transport (long polling shows whether a proxy keeps sessions sticky)
 * and the loopback address it connects from (a proxy hashing on the client address spreads them). */
export interface ConnectOptions {
  transports?: ('websocket' | 'polling')[];
  localAddress?: string;
  /** Sent with the handshake (X-Forwarded-For, to speak for another address through the trusted loopback). */
  headers?: Record<string, string>;
}

/** Which frame completes the handshake: READY for a new session; RESUMED or READY for a resume. */
export type OpenedBy = (f: DispatchFrame) => boolean;

/**
 * Connects to a gateway at `origin` over WebSocket with `auth` (e.g. `{ token }`, or
 * `{ token, session_id, seq }` to resume) and waits for READY (or what `openedBy` says).
 */
export async function connectGateway(
  origin: string,
  auth: Record<string, unknown>,
  path = '/gateway',
  openedBy: OpenedBy = (f) => f.t === 'READY',
  options: ConnectOptions = {},
): Promise<GatewayClient> {
  const socket = io(origin, {
    path,
    transports: options.transports ?? ['websocket'],
    auth,
    reconnection: false,
    forceNew: true,
    extraHeaders: options.headers ?? {},
    // engine.io-client hands `agent` to ws and to its XHR polling in Node; its type only knows browsers'.
    ...(options.localAddress
      ? { agent: new http.Agent({ localAddress: options.localAddress }) as unknown as string }
      : {}),
  });
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
    lastSeq: () => frames.reduce((max, f) => Math.max(max, f.s), 0),
    command: (name, payload) =>
      socket.timeout(10000).emitWithAck(name, payload) as Promise<Record<string, unknown>>,
  };
  await client.waitForFrames(1, openedBy);
  return client;
}

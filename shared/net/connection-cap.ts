import fs from 'node:fs';
import type { Server, Socket } from 'node:net';
import type { Runtime } from '../runtime.js';

/** Descriptors kept free beside the connections: database and Redis pools, files, mediasoup, logs. */
export const DESCRIPTOR_RESERVE = 1024;

/** The fewest connections an automatic cap allows, however low the descriptor limit. */
const MIN_AUTOMATIC_CAP = 64;

/** This process's soft limit on open files (Linux: /proc/self/limits), or null where unknown or unlimited. */
export function openFileLimit(
  read: () => string = () => fs.readFileSync('/proc/self/limits', 'utf8'),
): number | null {
  try {
    const line = read()
      .split('\n')
      .find((l) => l.startsWith('Max open files'));
    const soft = line?.slice('Max open files'.length).trim().split(/\s+/)[0];
    return soft !== undefined && /^\d+$/.test(soft) ? Number(soft) : null;
  } catch {
    return null;
  }
}

/**
 * Connections one process holds at once: `configured` (server.max_connections) when positive, else
 * (0) the open-file limit less DESCRIPTOR_RESERVE, so that a flood of connections is refused while
 * the process can still reach its database, Redis and files; null where the limit is unknown.
 */
export function connectionCap(configured: number, limit: number | null = openFileLimit()): number | null {
  if (configured > 0) return configured;
  if (limit === null) return null;
  return Math.max(MIN_AUTOMATIC_CAP, limit - DESCRIPTOR_RESERVE);
}

const gates = new WeakMap<Server, () => boolean>();

/**
 * Caps the connections `server` holds at once at `cap` (null: no cap). Those it accepts itself are
 * dropped by Node past `maxConnections`; those emitted to it (handed over by the supervisor) are
 * counted here and refused by acceptHandoffs while isFull. `onDrop` hears of each refusal.
 */
export function capConnections(server: Server, cap: number | null, onDrop: () => void): void {
  if (cap === null) return;
  server.maxConnections = cap;
  let open = 0;
  server.on('connection', (socket: Socket) => {
    open += 1;
    socket.once('close', () => {
      open -= 1;
    });
  });
  server.on('drop', onDrop);
  gates.set(server, () => {
    if (open < cap) return false;
    onDrop();
    return true;
  });
}

/** True when `server` holds as many connections as capConnections allows (the refusal is reported). */
export function isFull(server: Server): boolean {
  return gates.get(server)?.() ?? false;
}

/** An onDrop that logs at most once a minute, with how many were refused since the last line. */
export function dropLogger(
  warn: (fields: { refused: number; cap: number | null }, msg: string) => void,
  cap: number | null,
): () => void {
  let refused = 0;
  let last = 0;
  return () => {
    refused += 1;
    const now = Date.now();
    if (now - last < 60_000) return;
    last = now;
    warn({ refused, cap }, 'connections refused: this process holds server.max_connections already');
    refused = 0;
  };
}

/** Caps a role's HTTP server at server.max_connections (see connectionCap), refusals logged. */
export function capServerConnections(rt: Pick<Runtime, 'config' | 'logger'>, server: Server): void {
  const cap = connectionCap(rt.config.server.max_connections);
  capConnections(
    server,
    cap,
    dropLogger((fields, msg) => rt.logger.warn(fields, msg), cap),
  );
}

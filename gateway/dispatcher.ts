import {
  DISPATCH_EVENT,
  type DispatchEnvelope,
  type DispatchFrame,
  type DispatchMap,
  type DispatchName,
} from '../shared/events/index.js';
import type { Logger } from '../shared/logger.js';
import type { GatewayNamespace, GatewaySocket } from './types.js';

/**
 * Delivers dispatch envelopes (from any role, via Redis) to this process's connections in the
 * target rooms. Delivery is per connection rather than a room broadcast because every session
 * numbers its own events (`s`), which resume relies on.
 */
export function installDispatcher(nsp: GatewayNamespace, logger: Logger): void {
  // Server-side emits are untyped in socket.io's event maps; the envelope type is ours.
  (nsp as unknown as NodeJS.EventEmitter).on(DISPATCH_EVENT, (envelope: DispatchEnvelope) => {
    try {
      deliver(nsp, envelope);
    } catch (err) {
      logger.error({ err, t: envelope?.t }, 'dispatch failed');
    }
  });
}

function deliver(nsp: GatewayNamespace, envelope: DispatchEnvelope): void {
  const targets = new Set<string>();
  for (const room of envelope.rooms) {
    for (const id of nsp.adapter.rooms.get(room) ?? []) targets.add(id);
  }
  for (const room of envelope.except ?? []) {
    for (const id of nsp.adapter.rooms.get(room) ?? []) targets.delete(id);
  }
  for (const id of targets) {
    const socket = nsp.sockets.get(id);
    if (socket) sendDispatch(socket, envelope.t, envelope.d);
  }
}

/** Sends one dispatch to one connection with the session's next sequence number. */
export function sendDispatch<K extends DispatchName>(socket: GatewaySocket, t: K, d: DispatchMap[K]): void {
  socket.data.seq += 1;
  const frame = { t, s: socket.data.seq, d } as DispatchFrame;
  socket.emit('dispatch', frame);
}

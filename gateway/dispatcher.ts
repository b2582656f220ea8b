import { DISPATCH_EVENT, type DispatchEnvelope, type DispatchFrame } from '../shared/events/index.js';
import type { Logger } from '../shared/logger.js';
import type { GatewayNamespace } from './types.js';

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
    if (!socket) continue;
    socket.data.seq += 1;
    const frame: DispatchFrame = { t: envelope.t, s: socket.data.seq, d: envelope.d };
    socket.emit('dispatch', frame);
  }
}

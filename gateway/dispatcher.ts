import { DISPATCH_EVENT, ROOMS_EVENT, type DispatchEnvelope, type RoomOp } from '../shared/events/index.js';
import { handOver, TAKEOVER_EVENT, type GatewayContext } from './sessions/connect.js';

/**
 * Listens for what other roles publish through Redis (dispatches, room changes) and for other
 * gateways' takeover requests, and hands them to this process's sessions. Delivery is per session
 * rather than a socket.io room broadcast because every session numbers its own events (`s`) and
 * keeps them for resume.
 */
export function installDispatcher(ctx: GatewayContext): void {
  // Server-side events are untyped in socket.io's event maps; the payload types are ours.
  const bus = ctx.nsp as unknown as NodeJS.EventEmitter;
  bus.on(DISPATCH_EVENT, (envelope: DispatchEnvelope) => {
    ctx.rt.metrics.gatewayEvents.inc({ event: String(envelope?.t) });
    try {
      ctx.registry.dispatch(envelope);
    } catch (err) {
      ctx.rt.logger.error({ err, t: envelope?.t }, 'dispatch failed');
    }
  });
  bus.on(ROOMS_EVENT, (op: RoomOp) => {
    try {
      ctx.registry.applyRoomOp(op);
    } catch (err) {
      ctx.rt.logger.error({ err, op: op?.op }, 'room change failed');
    }
  });
  bus.on(
    TAKEOVER_EVENT,
    (request: { session_id?: unknown }, ack: (answer: { seq: number } | null) => void) => {
      if (typeof request?.session_id !== 'string') return ack(null);
      handOver(ctx, request.session_id).then(ack, (err: Error) => {
        ctx.rt.logger.error({ err }, 'session hand-over failed');
        ack(null);
      });
    },
  );
}

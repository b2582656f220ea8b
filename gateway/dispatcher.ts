import { handOver, TAKEOVER_EVENT, type GatewayContext } from './sessions/connect.js';
import type { StreamItem } from './sessions/event-stream.js';

/**
 * Hands what other roles publish (the event stream's dispatches and room changes) to this
 * process's sessions, and answers other gateways' takeover requests. Delivery is per session
 * rather than a socket.io room broadcast because every session numbers its own events (`s`) and
 * records them for resume.
 */
export function installDispatcher(ctx: GatewayContext): (items: StreamItem[]) => Promise<void> {
  // Server-side events are untyped in socket.io's event maps; the payload types are ours.
  const bus = ctx.nsp as unknown as NodeJS.EventEmitter;
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
  return (items) => {
    for (const [, entry] of items) if (entry.k === 'd') ctx.rt.metrics.gatewayEvents.inc({ event: entry.t });
    ctx.registry.handle(items, (err, id) => ctx.rt.logger.error({ err, id }, 'event stream entry failed'));
    // The next read waits until this batch's frames are recorded and sent.
    return ctx.buffer.flush();
  };
}

import { findLiveSession } from '../shared/auth/sessions.js';
import { refusal, type HandshakeLimits, type Refusal } from '../shared/net/handshake-limits.js';
import { IpRules } from '../shared/net/ip-rules.js';
import type { Runtime } from '../shared/runtime.js';
import { resolveBotIntents } from './intents.js';
import type { GatewaySocket } from './types.js';

/**
 * socket.io middleware: the handshake counts against its address's budget
 * (gateway.handshake_rate_limit, in Redis, before anything is looked up: `rate_limited`), the
 * client's IP must pass the IP rules (X-Forwarded-For believed only from server.trusted_proxies, as
 * in the API), and the handshake must carry a live token in `auth.token` (user or bot). A bot's
 * `auth.intents`, when sent, must be within what its application allows (`invalid_intents`,
 * `disallowed_intents` otherwise). Last, the user (or bot) must hold fewer than
 * gateway.max_connections_per_user connections on this process (`too_many_connections`). A
 * revoked session's connections are closed when it is revoked. A refused handshake's connection is
 * closed once the refusal is sent.
 */
export function authenticateHandshake(rt: Runtime, limits: HandshakeLimits) {
  const ipRules = new IpRules(rt);
  return (socket: GatewaySocket, next: (err?: Error) => void): void => {
    // Everything in here, so that nothing can throw out of socket.io's middleware (an unhandled
    // rejection there would stop the process).
    const check = async (): Promise<Refusal | null> => {
      const ip = limits.addressOf(socket);
      const handshake = socket.handshake.auth as Record<string, unknown> | undefined;
      const token: unknown = handshake?.token;
      const overBudget = await limits.countAddress(ip);
      if (overBudget) return overBudget;
      if (!(await ipRules.allows(ip))) {
        await ipRules.recordBlocked(ip, rt.config.gateway.path);
        return refusal('ip_blocked', 'Connections from your address are not allowed');
      }
      if (typeof token !== 'string' || token.length < 20 || token.length > 200) {
        return refusal('unauthorized', 'Authentication required: connect with auth: { token }');
      }
      const live = await findLiveSession(rt, token);
      if (!live) return refusal('unauthorized', 'Invalid or expired token');
      socket.data.intents = null;
      socket.data.grantableIntents = null;
      if (live.kind === 'bot') {
        const resolved = await resolveBotIntents(rt, live.user.id, handshake?.intents);
        if ('code' in resolved) return refusal(resolved.code, resolved.message);
        socket.data.intents = resolved.intents;
        socket.data.grantableIntents = resolved.grantable;
      }
      // Taken last, once nothing else can refuse: a slot is only held by a connection that opens.
      const slot = limits.takeSlot(live.user.id, socket);
      if (slot instanceof Error) return slot;
      socket.data.userId = live.user.id;
      socket.data.authSessionId = live.session.id;
      socket.data.kind = live.kind;
      socket.data.ip = ip;
      return null;
    };
    check().then(
      (err) => (err ? limits.refuse(socket, next, err) : next()),
      (err: unknown) => {
        rt.logger.error({ err }, 'gateway authentication failed');
        limits.refuse(socket, next, refusal('internal_error', 'Could not authenticate, try again'));
      },
    );
  };
}

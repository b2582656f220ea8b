import proxyaddr from 'proxy-addr';
import { findLiveSession } from '../shared/auth/sessions.js';
import { normalizeIp } from '../shared/net/ip.js';
import { IpRules } from '../shared/net/ip-rules.js';
import type { Runtime } from '../shared/runtime.js';
import { resolveBotIntents } from './intents.js';
import type { GatewaySocket } from './types.js';

/** A refused handshake: clients get `connect_error` with `message` and `data.code`. */
function refusal(code: string, message: string): Error & { data: { code: string; message: string } } {
  return Object.assign(new Error(message), { data: { code, message } });
}

/**
 * socket.io middleware: the client's IP must pass the IP rules (X-Forwarded-For believed only from
 * server.trusted_proxies, as in the API), and the handshake must carry a live token in
 * `auth.token` (user or bot). A bot's `auth.intents`, when sent, must be within what its
 * application allows (`invalid_intents`, `disallowed_intents` otherwise). A revoked
 * session's connections are closed when it is revoked.
 */
export function authenticateHandshake(rt: Runtime) {
  const trust = proxyaddr.compile(rt.config.server.trusted_proxies);
  const ipRules = new IpRules(rt);
  return (socket: GatewaySocket, next: (err?: Error) => void): void => {
    const ip = normalizeIp(proxyaddr(socket.request, trust));
    const handshake = socket.handshake.auth as Record<string, unknown> | undefined;
    const token: unknown = handshake?.token;
    const check = async (): Promise<Error | null> => {
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
      socket.data.userId = live.user.id;
      socket.data.authSessionId = live.session.id;
      socket.data.kind = live.kind;
      socket.data.ip = ip;
      return null;
    };
    check().then(
      (refused) => next(refused ?? undefined),

      (err: unknown) => {
        rt.logger.error({ err }, 'gateway authentication failed');
        next(refusal('internal_error', 'Could not authenticate, try again'));
      },
    );
  };
}

import crypto from 'node:crypto';
import { findLiveSession } from '../shared/auth/sessions.js';
import type { Runtime } from '../shared/runtime.js';
import type { GatewaySocket } from './types.js';

/** A refused handshake: clients get `connect_error` with `message` and `data.code`. */
function refusal(code: string, message: string): Error & { data: { code: string; message: string } } {
  return Object.assign(new Error(message), { data: { code, message } });
}

/**
 * socket.io middleware: the handshake must carry a live token in `auth.token` (user or bot).
 * A revoked session's connections are closed when it is revoked (its room is disconnected).
 */
export function authenticateHandshake(rt: Runtime) {
  return (socket: GatewaySocket, next: (err?: Error) => void): void => {
    const token: unknown = (socket.handshake.auth as Record<string, unknown> | undefined)?.token;
    if (typeof token !== 'string' || token.length < 20 || token.length > 200) {
      next(refusal('unauthorized', 'Authentication required: connect with auth: { token }'));
      return;
    }
    findLiveSession(rt, token).then(
      (live) => {
        if (!live) return next(refusal('unauthorized', 'Invalid or expired token'));
        socket.data.seq = 0;
        socket.data.sessionId = crypto.randomBytes(16).toString('hex');
        socket.data.userId = live.user.id;
        socket.data.authSessionId = live.session.id;
        socket.data.kind = live.kind;
        next();
      },
      (err: unknown) => {
        rt.logger.error({ err }, 'gateway authentication failed');
        next(refusal('internal_error', 'Could not authenticate, try again'));
      },
    );
  };
}

import { hashToken } from '../../shared/auth/tokens.js';
import type { Runtime } from '../../shared/runtime.js';
import type { AuthContext } from './context.js';

/** last_used_at is refreshed at most this often, so authenticated reads do not all write. */
const TOUCH_INTERVAL_MS = 60_000;

/** Finds the live session of a token: not revoked, its user not disabled, the scheme matching the kind. */
export function createTokenVerifier(rt: Runtime) {
  const { Session, User } = rt.models;
  return async (scheme: 'Bearer' | 'Bot', token: string): Promise<AuthContext | null> => {
    const session = await Session.findOne({ where: { token_hash: hashToken(token), revoked_at: null } });
    if (!session) return null;
    if ((scheme === 'Bot') !== (session.kind === 'bot')) return null;
    const user = await User.findByPk(session.user_id);
    if (!user || user.disabled_at) return null;
    if (Date.now() - session.last_used_at.getTime() > TOUCH_INTERVAL_MS) {
      session.last_used_at = new Date();
      await session.save({ fields: ['last_used_at'] });
    }
    return { user, session, kind: session.kind };
  };
}

import { findLiveSession } from '../../shared/auth/sessions.js';
import type { Runtime } from '../../shared/runtime.js';
import type { AuthContext } from './context.js';

/** The token check behind the passport strategy: the scheme must match the session's kind. */
export function createTokenVerifier(rt: Runtime) {
  return async (scheme: 'Bearer' | 'Bot', token: string): Promise<AuthContext | null> => {
    const live = await findLiveSession(rt, token);
    if (!live || (scheme === 'Bot') !== (live.kind === 'bot')) return null;
    return live;
  };
}

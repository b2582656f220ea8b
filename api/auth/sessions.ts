import { findLiveSession } from '../../shared/auth/sessions.js';
import type { Runtime } from '../../shared/runtime.js';
import { findOAuthCaller } from '../oauth2/tokens.js';
import type { Caller } from './context.js';

/**
 * The token check behind the passport strategy: a session's scheme must match its kind; a `Bearer`
 * token that is no session may be an OAuth2 access token.
 */
export function createTokenVerifier(rt: Runtime) {
  return async (scheme: 'Bearer' | 'Bot', token: string): Promise<Caller | null> => {
    const live = await findLiveSession(rt, token);
    if (live) return (scheme === 'Bot') === (live.kind === 'bot') ? live : null;
    return scheme === 'Bearer' ? findOAuthCaller(rt, token) : null;
  };
}

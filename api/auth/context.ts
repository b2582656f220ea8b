import type { AccountUser } from '../../shared/auth/sessions.js';
import type { Attributes } from '../../shared/db/models/index.js';
import type { OAuthScope } from '../../shared/domain/oauth2/scopes.js';

/** Who is calling: the user (or bot user) and the session their token belongs to. */
export interface AuthContext {
  user: AccountUser;
  session: Attributes<'Session'>;
  kind: 'user' | 'bot';
}

/**
 * A caller with an OAuth2 access token: an application acting for `user` within `scopes`. It has
 * no session, and reaches only routes that declare `oauth_scopes` (api/routes/registry.ts).
 */
export interface OAuthAuth {
  user: AccountUser;
  session: null;
  kind: 'oauth';
  scopes: OAuthScope[];
  application_id: string;
  /** The oauth_tokens row of the access token. */
  token_id: string;
}

/** Any authenticated caller; handlers of routes with `oauth_scopes` get this, all others AuthContext. */
export type Caller = AuthContext | OAuthAuth;

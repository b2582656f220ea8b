import { ApiError } from '../../shared/errors.js';
import type { OAuthScope } from '../../shared/domain/oauth2/scopes.js';

/**
 * The gate an OAuth2 access token passes on a route: the route must declare `oauth_scopes`, and the
 * token must hold all of them. Throws 403 naming what is missing.
 */
export function checkOAuthScopes(routeScopes: readonly OAuthScope[] | undefined, held: OAuthScope[]): void {
  if (!routeScopes) {
    throw new ApiError(
      403,
      'oauth_token_not_allowed',
      'OAuth2 access tokens cannot use this route; it needs a user session',
    );
  }
  const missing = routeScopes.filter((s) => !held.includes(s));
  if (missing.length > 0) {
    throw new ApiError(403, 'oauth_scope_missing', `Missing OAuth2 scope: ${missing.join(', ')}`, undefined, {
      scope: missing.join(' '),
    });
  }
}

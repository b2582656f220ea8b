/** What an application may ask a user for (GET /oauth2/authorize `scope`). */
export const OAUTH_SCOPES = ['identify', 'email', 'servers', 'bot'] as const;
export type OAuthScope = (typeof OAUTH_SCOPES)[number];

/** What each scope grants, as the consent page and the docs say it. */
export const SCOPE_DESCRIPTIONS: Record<OAuthScope, string> = {
  identify: 'Read your username, avatar and account flags (GET /users/@me)',
  email: 'Read your email address (added to GET /users/@me)',
  servers: 'See which servers you are in (GET /users/@me/servers)',
  bot: 'Add its bot to a server you manage',
};

/** Whether `value` is a known scope. */
export function isOAuthScope(value: string): value is OAuthScope {
  return (OAUTH_SCOPES as readonly string[]).includes(value);
}

/**
 * Parses a space-separated `scope` parameter: known scopes, without duplicates, in canonical order.
 * Null when it is empty or names an unknown scope.
 */
export function parseScopes(value: string | undefined): OAuthScope[] | null {
  const parts = (value ?? '').split(' ').filter((s) => s !== '');
  if (parts.length === 0 || !parts.every(isOAuthScope)) return null;
  return OAUTH_SCOPES.filter((s) => parts.includes(s));
}

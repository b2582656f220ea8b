/** The error codes of RFC 6749 section 5.2 (token endpoint) and 4.1.2.1 (authorization endpoint). */
export type OAuthErrorCode =
  | 'invalid_request'
  | 'invalid_client'
  | 'invalid_grant'
  | 'unauthorized_client'
  | 'unsupported_grant_type'
  | 'invalid_scope'
  | 'access_denied'
  | 'unsupported_response_type'
  | 'server_error';

/**
 * An error of the OAuth2 protocol itself: the token and revoke endpoints answer it as
 * `{error, error_description}` (what OAuth2 client libraries parse), not as the API's error body.
 */
export class OAuthError extends Error {
  constructor(
    readonly error: OAuthErrorCode,
    readonly description: string,
    readonly status = 400,
  ) {
    super(description);
    this.name = 'OAuthError';
  }
}

/** 401 invalid_client: unknown client, wrong secret, or a client that must authenticate and did not. */
export function invalidClient(description: string): OAuthError {
  return new OAuthError('invalid_client', description, 401);
}

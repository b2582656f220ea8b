import type { Request } from 'express';
import { Strategy } from 'passport-strategy';
import { parseAuthorization } from '../../shared/auth/tokens.js';
import type { Caller } from './context.js';

/** Resolves a token to its caller, or null when the token is unknown, revoked or of the wrong kind. */
export type TokenVerifier = (scheme: 'Bearer' | 'Bot', token: string) => Promise<Caller | null>;

/**
 * Passport strategy for `Authorization: Bearer <token>` (users, and OAuth2 access tokens) and
 * `Bot <token>` (bots). Tokens are opaque; the verifier looks them up by their hash.
 */
export class TokenStrategy extends Strategy {
  name = 'token';

  constructor(private readonly verifier: TokenVerifier) {
    super();
  }

  override authenticate(req: Request): void {
    const parsed = parseAuthorization(req.headers.authorization);
    if (!parsed) {
      this.fail(req.headers.authorization ? 'malformed' : 'missing', 401);
      return;
    }
    this.verifier(parsed.scheme, parsed.token).then(
      (auth) => (auth ? this.success(auth) : this.fail('invalid', 401)),
      (err: unknown) => this.error(err instanceof Error ? err : new Error(String(err))),
    );
  }
}

import type { Request, Response } from 'express';
import { Passport } from 'passport';
import { UnauthorizedError } from '../../shared/errors.js';
import type { Runtime } from '../../shared/runtime.js';
import type { Authenticator } from '../routes/registry.js';
import type { Caller } from './context.js';
import { createTokenVerifier } from './sessions.js';
import { TokenStrategy } from './token-strategy.js';

/** The API's authenticator: passport with the token strategy, on a Passport of its own per app. */
export function createAuthenticator(rt: Runtime): Authenticator {
  const passport = new Passport();
  passport.use(new TokenStrategy(createTokenVerifier(rt)));
  return (req: Request, res: Response) =>
    new Promise<Caller>((resolve, reject) => {
      const middleware = passport.authenticate(
        'token',
        { session: false },
        (err: unknown, auth: Caller | false, challenge: unknown) => {
          if (err) reject(err instanceof Error ? err : new Error('authentication failed'));
          else if (!auth) {
            reject(
              new UnauthorizedError(
                challenge === 'missing' ? 'Authentication required' : 'Invalid or expired token',
              ),
            );
          } else resolve(auth);
        },
      ) as (req: Request, res: Response, next: (err?: unknown) => void) => void;
      middleware(req, res, reject);
    });
}

import type Joi from 'joi';
import { verifyPassword } from '../../shared/auth/password.js';
import { recordSecurityEvent } from '../../shared/auth/security-events.js';
import type { Attributes } from '../../shared/db/models/index.js';
import { ApiError, ValidationError } from '../../shared/errors.js';
import type { Runtime } from '../../shared/runtime.js';
import type { AuthContext } from '../auth/context.js';
import type { Throttles } from '../security/throttle.js';
import { countAttempt } from './login-throttle.js';

/**
 * Re-authentication before a sensitive change (DELETE /users/@me, PUT /users/@me/password, an email
 * or password change through PATCH /users/@me): the one place that says what proves the caller is
 * the account's owner.
 *
 * - An account with a password: the password, in `field`. joi makes it required (`whenAccountHasPassword`);
 *   a wrong one is 400 `invalid_credentials` naming the field (not 401: the token is fine, and API.md
 *   keeps 401 for a missing or bad token, which clients answer by signing out).
 * - A person's account with no password (created by an external sign-in), the field left out: the
 *   session stands in for it when it signed in within `security.reauth_window_seconds` ("sudo mode");
 *   an older one is 400 `reauthentication_required` naming the field: sign in again at the provider.
 *
 * Either way the attempt is counted against the account's `reauth_account` throttle before it is
 * judged (a success, `andThen` included, gives it back), so a stolen token cannot guess the password
 * faster than a login could.
 */
export async function reauthenticate(
  rt: Pick<Runtime, 'models' | 'snowflake' | 'logger' | 'config'>,
  throttles: Throttles,
  auth: Pick<AuthContext, 'user' | 'session' | 'kind'>,
  ip: string,
  proof: { field: 'password' | 'current_password'; value: string | undefined },
  /**
   * A further check (DELETE /users/@me's 2FA code) that must pass before the point is given back;
   * it gets the account's row with its secrets.
   */
  andThen?: (account: Attributes<'User'>) => Promise<void>,
): Promise<void> {
  const { session } = auth;
  const { field, value } = proof;
  // The row with its secrets: the caller's copy (auth.user) has none.
  const user = await rt.models.User.findByPk(auth.user.id, { raw: true, rejectOnEmpty: true });
  const bySession = value === undefined && user.password_hash === null && auth.kind === 'user';
  // Only a bot (no password, no sign-in) gets here without the field: joi requires it of everyone else.
  if (value === undefined && !bySession) throw new ValidationError({ [field]: 'is required' });
  // Counted before the check, in one atomic step (see countAttempt); a success gives it back.
  const attempt = await countAttempt(rt, throttles, { userId: user.id, ip }, ['reauth_account', user.id]);
  if (bySession) {
    if (!signedInRecently(rt.config, session)) {
      await recordSecurityEvent(rt, 'login_failure', {
        userId: user.id,
        ip,
        details: { via: 'recent_sign_in', reason: 'reauthentication_required' },
      });
      const window = rt.config.security.reauth_window_seconds;
      throw new ApiError(
        400,
        'reauthentication_required',
        `This account has no password and this session signed in more than ${window} seconds ago: sign in again with your provider, then retry`,
        {
          [field]: `needs a recent sign-in: the account has no password and this session is older than ${window} seconds, so sign in again with your provider`,
        },
      );
    }
  } else {
    const ok = user.password_hash ? await verifyPassword(value!, user.password_hash) : false;
    if (!ok) {
      await recordSecurityEvent(rt, 'login_failure', { userId: user.id, ip, details: { via: field } });
      throw new ApiError(400, 'invalid_credentials', `${field} is wrong`, {
        [field]: user.password_hash ? 'is wrong' : 'is wrong: the account has no password, leave it out',
      });
    }
  }
  await andThen?.(user);
  await attempt.succeeded();
}

/** Whether the session signed in (was created) within `security.reauth_window_seconds`. */
function signedInRecently(config: Runtime['config'], session: Attributes<'Session'>): boolean {
  return Date.now() - session.created_at.getTime() <= config.security.reauth_window_seconds * 1000;
}

/**
 * The joi rule that goes with reauthenticate: `then` applies (a password field required) when the
 * caller's account has a password (the registry validates bodies with the caller as `$auth`); without
 * one the field may be left out, for a recent sign-in to stand in for it.
 */
export function whenAccountHasPassword<T extends Joi.Schema>(schema: T, then: Joi.Schema): T {
  return schema.when('$auth.user.has_password', { is: true, then }) as T;
}

/** The password fields' description in the OpenAPI document. */
export const REAUTH_FIELD_DESCRIPTION =
  'the account’s current password; an account without one (created by an external sign-in) leaves it ' +
  'out, and a session that signed in within `security.reauth_window_seconds` stands in for it';

/** The rule, for the description of a route that calls reauthenticate with `field`. */
export const reauthRule = (field: string): string =>
  `An account without a password (created by an external sign-in) leaves \`${field}\` out: a session that ` +
  'signed in within `security.reauth_window_seconds` stands in for it, an older one gets 400 ' +
  `\`reauthentication_required\` naming \`${field}\` (sign in again with the provider).`;

/** The 400s reauthenticate answers, for the OpenAPI responses of a route that calls it with `field`. */
export const reauthFailures = (field: string): string =>
  `\`invalid_credentials\` naming a wrong \`${field}\`; \`reauthentication_required\` naming \`${field}\` ` +
  '(no password, and the session signed in too long ago)';

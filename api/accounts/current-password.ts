import { verifyPassword } from '../../shared/auth/password.js';
import { recordSecurityEvent } from '../../shared/auth/security-events.js';
import type { Attributes } from '../../shared/db/models/index.js';
import { ApiError } from '../../shared/errors.js';
import type { Runtime } from '../../shared/runtime.js';
import type { Throttles } from '../security/throttle.js';
import { countAttempt } from './login-throttle.js';

/**
 * Checks `current_password` of the signed-in user: 400 `invalid_credentials` naming the field when
 * wrong (not 401: the caller's token is fine, and API.md keeps 401 for a missing or bad token, which
 * clients answer by signing out). Wrong guesses count against the account's login throttle, so a stolen
 * token cannot be used to guess the password faster than a login could.
 */
export async function requireCurrentPassword(
  rt: Pick<Runtime, 'models' | 'snowflake' | 'logger'>,
  throttles: Throttles,
  user: Attributes<'User'>,
  currentPassword: string,
  ip: string,
): Promise<void> {
  // Counted before the check, in one atomic step (see countAttempt); a success gives it back.
  const attempt = await countAttempt(rt, throttles, { userId: user.id, ip }, ['reauth_account', user.id]);
  const ok = user.password_hash ? await verifyPassword(currentPassword, user.password_hash) : false;
  if (!ok) {
    await recordSecurityEvent(rt, 'login_failure', {
      userId: user.id,
      ip,
      details: { via: 'current_password' },
    });
    throw new ApiError(400, 'invalid_credentials', 'current_password is wrong', {
      current_password: 'is wrong',
    });
  }
  await attempt.succeeded();
}

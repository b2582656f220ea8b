import type { Config } from '../../shared/config/index.js';
import type { UserView } from '../../shared/db/models/index.js';
import { ApiError } from '../../shared/errors.js';

/**
 * With `auth.require_verified_email`, 403 `email_unverified` for a person whose email is not
 * verified. Gates sending messages (channels, threads and DMs alike); reading, reacting and
 * everything else stay open, so an unverified user can still find and follow the mail's link.
 * Bots have no email and are exempt.
 */
export function requireVerifiedEmail(config: Pick<Config, 'auth'>, user: UserView): void {
  if (!config.auth.require_verified_email || user.is_bot) return;
  if (user.email !== null && user.email_verified_at !== null) return;
  throw new ApiError(
    403,
    'email_unverified',
    user.email === null
      ? 'This instance requires a verified email to send messages: add one (PATCH /users/@me), then verify it'
      : 'This instance requires a verified email to send messages: follow the link mailed to you',
  );
}

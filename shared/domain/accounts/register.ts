import { sendVerificationMail } from '../../accounts/account-tokens.js';
import { createUser } from '../../accounts/create-user.js';
import { issueSession, type ClientInfo } from '../../accounts/sessions.js';
import { recordSecurityEvent } from '../../auth/security-events.js';
import type { Config } from '../../config/index.js';
import type { Row } from '../../db/models/index.js';
import { ApiError, ValidationError } from '../../errors.js';
import { mailEnabled } from '../../mail/index.js';
import { runCommand } from '../../outbox/index.js';
import type { Runtime } from '../../runtime.js';
import { joinThroughInvite } from '../invites/join.js';

/** What a person registers with. */
export interface Registration {
  username: string;
  password: string;
  email?: string;
  /** A server invite code: used with the account, which joins its server. */
  invite?: string;
}

const invalidInvite = () =>
  new ApiError(403, 'invalid_invite', 'This invite is unknown, expired, revoked or used up', {
    invite: 'is unknown, expired, revoked or used up',
  });

/**
 * Refuses a registration the instance's `auth.registration` mode does not allow: 403
 * `registration_closed`, or 400 naming `invite` on an invite-only instance without one.
 */
export function assertRegistrationAllowed(config: Pick<Config, 'auth'>, invite: string | undefined): void {
  const mode = config.auth.registration;
  if (mode === 'closed') {
    throw new ApiError(
      403,
      'registration_closed',
      'Registration is closed on this instance; ask an administrator',
    );
  }
  if (mode === 'invite_only' && invite === undefined) {
    throw new ValidationError(
      { invite: 'is required: this instance is invite-only' },
      'An invite code is required to register on this instance',
    );
  }
}

/**
 * Registers a person (POST /auth/register) as `auth.registration` allows: 409 `username_taken` or
 * `email_taken`, 403 `invalid_invite`. The account, its join through `invite` (one use, atomically)
 * and its first session are one command: all or nothing, the join's events relayed with it.
 * Recorded as `login_success` (via register); with an email and mail configured, a verification
 * mail goes out. Returns the session's token, shown once.
 */
export async function registerAccount(
  rt: Runtime,
  registration: Registration,
  client: ClientInfo,
): Promise<{ token: string; user: Row<'User'> }> {
  const { invite, ...fields } = registration;
  assertRegistrationAllowed(rt.config, invite);
  const { user, token } = await runCommand(rt, null, async (transaction, fx) => {
    const created = await createUser(rt, fields, transaction);
    if (invite !== undefined) {
      await joinThroughInvite(rt, invite, created.id, transaction, fx).catch((err: unknown) => {
        throw err instanceof ApiError && err.status === 404 ? invalidInvite() : err;
      });
    }
    const session = await issueSession(rt, created, client, 'user', transaction);
    return { user: created, token: session.token };
  });
  await recordSecurityEvent(rt, 'login_success', {
    userId: user.id,
    ip: client.ip,
    details: { via: 'register', ...(invite !== undefined ? { invite } : {}) },
  });
  if (user.email && mailEnabled(rt.config)) await sendVerificationMail(rt, user);
  return { token, user };
}

import { consumeAccountToken, invalidToken, sendVerificationMail } from '../../accounts/account-tokens.js';
import { recordSecurityEvent } from '../../auth/security-events.js';
import { rooms } from '../../events/index.js';
import { requireMail } from '../../mail/index.js';
import { runCommand } from '../../outbox/index.js';
import { presentSelf } from '../../presenters/user.js';
import type { Runtime } from '../../runtime.js';
import { requireUser } from '../members/present.js';

/**
 * Verifies `userId`'s email with the token of a verification link (POST /users/@me/email/verify):
 * 400 `invalid_token` when it is unknown, used, expired, another account's or for an address the
 * account no longer has (then it is not used up). The user's connections hear USER_UPDATE
 * (`verified: true`). Recorded as `email_verified`.
 */
export async function verifyEmail(
  rt: Runtime,
  userId: string,
  token: string,
  client: { ip: string },
): Promise<void> {
  const email = await runCommand(rt, rooms.user(userId), async (transaction, fx) => {
    const used = await consumeAccountToken(rt, token, 'email_verify', transaction);
    // Thrown inside the transaction, so the token's use rolls back with it.
    if (used.user_id !== userId) throw invalidToken();
    const user = await requireUser(rt, userId, transaction);
    if (!user.email || used.email?.toLowerCase() !== user.email.toLowerCase()) throw invalidToken();
    user.email_verified_at = new Date();
    await user.save({ fields: ['email_verified_at'], transaction });
    fx.invalidate({ accounts: [userId] });
    fx.dispatch([rooms.user(userId)], 'USER_UPDATE', presentSelf(rt.config, user));
    return user.email;
  });
  await recordSecurityEvent(rt, 'email_verified', { userId, ip: client.ip, details: { email } });
}

/**
 * Mails `userId` a new verification link (POST /users/@me/email/verify/resend); earlier links stop
 * working. 503 `email_disabled` without SMTP, 400 `no_email` or `already_verified`. `spend` counts
 * the attempt against the caller's limit, only when a mail would go out.
 */
export async function resendVerification(
  rt: Runtime,
  userId: string,
  spend: () => Promise<void>,
): Promise<void> {
  requireMail(rt.config);
  const user = await requireUser(rt, userId);
  if (user.email && user.email_verified_at === null) await spend();
  await sendVerificationMail(rt, user);
}

import {
  consumeAccountToken,
  invalidToken,
  sendVerificationMail,
} from '../../../shared/accounts/account-tokens.js';
import { recordSecurityEvent } from '../../../shared/auth/security-events.js';
import { requireMail } from '../../../shared/mail/index.js';
import type { Runtime } from '../../../shared/runtime.js';
import { editProfile } from '../../../shared/domain/users/profile.js';
import { afterPasswordChange, requireCurrentPassword } from '../../accounts/password-commands.js';
import type { ApiServices } from '../../services.js';
import { defineRoute, type AnyRoute } from '../route.js';
import { changePasswordBody, verifyEmailBody } from './schema.js';

/** PUT /users/@me/password, POST /users/@me/email/verify, POST /users/@me/email/verify/resend. */
export function accountRoutes(rt: Runtime, { throttles }: ApiServices): AnyRoute[] {
  return [
    defineRoute<Record<string, never>, Record<string, never>, { current_password: string; password: string }>(
      {
        method: 'put',
        path: '/users/@me/password',
        access: 'user',
        userOnly: true,
        summary: 'Change the password',
        description:
          'Every other session ends (their gateway connections close); the calling one stays. A wrong ' +
          '`current_password` is 401 `invalid_credentials` naming it, as the login answers, and counts ' +
          'against the account’s login throttle. Recorded as a `password_changed` security event.',
        tags: ['Users'],
        status: 204,
        body: changePasswordBody,
        responses: {
          204: { description: 'Changed' },
          400: { description: 'A missing field or a weak `password`, named' },
          401: { description: '`invalid_credentials`: `current_password` is wrong' },
          429: { description: 'Too many wrong current passwords for this account' },
        },
        handler: async ({ auth, body, ip }) => {
          const user = auth.user;
          await requireCurrentPassword(rt, throttles, user, body.current_password, ip);
          await editProfile(rt, user.id, { password: body.password });
          await afterPasswordChange(rt, user, auth.session.id, ip);
        },
      },
    ),
    defineRoute<Record<string, never>, Record<string, never>, { token: string }>({
      method: 'post',
      path: '/users/@me/email/verify',
      access: 'user',
      userOnly: true,
      summary: 'Verify the email address with the mailed token',
      description:
        'The token comes from the link of the verification mail (`<server.public_url>/verify-email?token=`), ' +
        'works once, for 24 hours, for the signed-in account and the address it was sent to: after an ' +
        'email change only the newest mail counts. Afterwards `verified` is true on GET /users/@me.',
      tags: ['Users'],
      status: 204,
      body: verifyEmailBody,
      responses: {
        204: { description: 'Verified' },
        400: {
          description: '`invalid_token`: unknown, used, expired, another account’s or an old address’s',
        },
      },
      handler: async ({ auth, body, ip }) => {
        const user = auth.user;
        await rt.sequelize.transaction(async (transaction) => {
          const token = await consumeAccountToken(rt, body.token, 'email_verify', transaction);
          // Thrown inside the transaction: someone else's token is not used up by this attempt.
          if (
            token.user_id !== user.id ||
            !user.email ||
            token.email?.toLowerCase() !== user.email.toLowerCase()
          )
            throw invalidToken();
          user.email_verified_at = new Date();
          await user.save({ fields: ['email_verified_at'], transaction });
        });
        await recordSecurityEvent(rt, 'email_verified', {
          userId: user.id,
          ip,
          details: { email: user.email },
        });
      },
    }),
    defineRoute({
      method: 'post',
      path: '/users/@me/email/verify/resend',
      access: 'user',
      userOnly: true,
      summary: 'Send the verification mail again',
      description:
        'A new link to the current address; earlier ones stop working. At most ' +
        '`security.throttle.verify_resend_account` per hour (429 beyond).',
      tags: ['Users'],
      status: 204,
      responses: {
        204: { description: 'Queued' },
        400: { description: '`no_email` (the account has none) or `already_verified`' },
        429: { description: 'Too many mails asked for' },
        503: { description: '`email_disabled`: the instance has no SMTP server configured' },
      },
      handler: async ({ auth }) => {
        const user = auth.user;
        requireMail(rt.config);
        // Only a mail that would go out spends an attempt.
        if (user.email && user.email_verified_at === null)
          await throttles.hit('verify_resend_account', user.id);
        await sendVerificationMail(rt, user);
      },
    }),
  ];
}

import { resendVerification, verifyEmail } from '../../../shared/domain/accounts/email.js';
import { editProfile } from '../../../shared/domain/users/profile.js';
import type { Runtime } from '../../../shared/runtime.js';
import { reauthenticate, reauthFailures, reauthRule } from '../../accounts/reauthentication.js';
import type { ApiServices } from '../../services.js';
import { defineRoute, type AnyRoute } from '../route.js';
import { changePasswordBody, verifyEmailBody } from './schema.js';

/** PUT /users/@me/password, POST /users/@me/email/verify, POST /users/@me/email/verify/resend. */
export function accountRoutes(rt: Runtime, { throttles }: ApiServices): AnyRoute[] {
  return [
    defineRoute<
      Record<string, never>,
      Record<string, never>,
      { current_password?: string; password: string }
    >({
      method: 'put',
      path: '/users/@me/password',
      access: 'user',
      userOnly: true,
      summary: 'Change the password',
      description:
        'Every other session ends (their gateway connections close); the calling one stays. A wrong ' +
        '`current_password` is 400 `invalid_credentials` naming it (401 is only for the token), and counts ' +
        'against the account’s login throttle. The first password of an account without one is set here: ' +
        reauthRule('current_password') +
        ' Recorded as a `password_changed` security event.',
      tags: ['Users'],
      status: 204,
      body: changePasswordBody,
      responses: {
        204: { description: 'Changed' },
        400: {
          description: `A missing field or a weak \`password\`, named; ${reauthFailures('current_password')}`,
        },
        429: { description: 'Too many wrong current passwords for this account' },
      },
      handler: async ({ auth, body, ip }) => {
        const user = auth.user;
        await reauthenticate(rt, throttles, auth, ip, {
          field: 'current_password',
          value: body.current_password,
        });
        await editProfile(rt, user.id, { password: body.password }, { sessionId: auth.session.id, ip });
      },
    }),
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
        await verifyEmail(rt, auth.user.id, body.token, { ip });
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
        // Only a mail that would go out spends an attempt.
        await resendVerification(rt, auth.user.id, () =>
          throttles.hit('verify_resend_account', auth.user.id),
        );
      },
    }),
  ];
}

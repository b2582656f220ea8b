import { setTimeout } from 'node:timers/promises';
import { requestPasswordReset, resetPassword } from '../../../shared/domain/accounts/password-reset.js';
import { requireMail } from '../../../shared/mail/index.js';
import type { Runtime } from '../../../shared/runtime.js';
import type { ApiServices } from '../../services.js';
import { definePublicRoute, type AnyRoute } from '../route.js';
import { forgotBody, resetBody } from './schema.js';

/** Every answer of POST /auth/password/forgot takes at least this long (see there). */
const FORGOT_FLOOR_MS = 250;

/** POST /auth/password/forgot, POST /auth/password/reset. */
export function passwordResetRoutes(rt: Runtime, { throttles }: ApiServices): AnyRoute[] {
  return [
    definePublicRoute<Record<string, never>, Record<string, never>, { login: string }>({
      method: 'post',
      path: '/auth/password/forgot',
      summary: 'Ask for a password reset mail',
      description: [
        'Always 204, whether or not the login names an account: nothing tells the two apart. A known,',
        'enabled account with an email gets a mail with a single-use link',
        '`<server.public_url>/reset-password?token=<token>`, valid one hour; earlier links stay valid',
        'until they expire or one of them is used. Every request counts against the source address',
        '(429 beyond `security.throttle.password_forgot_ip`); beyond',
        '`security.throttle.password_forgot_account` mails per account and hour the answer is still',
        '204 and no mail is sent. 503 `email_disabled` when the instance sends no mail.',
      ].join(' '),
      tags: ['Auth'],
      status: 204,
      body: forgotBody,
      responses: {
        204: { description: 'Accepted (the same answer for unknown accounts)' },
        429: { description: 'Too many requests from this address' },
        503: { description: '`email_disabled`: the instance has no SMTP server configured' },
      },
      handler: async ({ body, ip }) => {
        requireMail(rt.config);
        await throttles.hit('password_forgot_ip', ip);
        // Known accounts cost a few writes more than unknown ones: every answer waits for the same
        // floor, so response times do not tell them apart.
        const floor = Date.now() + FORGOT_FLOOR_MS;
        await requestPasswordReset(rt, body.login, { ip }, (account) =>
          throttles.tryHit('password_forgot_account', account),
        );
        await setTimeout(Math.max(0, floor - Date.now()));
      },
    }),
    definePublicRoute<Record<string, never>, Record<string, never>, { token: string; password: string }>({
      method: 'post',
      path: '/auth/password/reset',
      summary: 'Set a new password with a reset link’s token',
      description: [
        'The token works once: this and every other reset link of the account stop working. Every',
        'session of the account ends (tokens answer 401, gateway connections close), including the',
        'one that asked; sign in with the new password. Recorded as a `password_reset` security',
        'event. 2FA stays as it was. Works without SMTP too (links an admin issued).',
      ].join(' '),
      tags: ['Auth'],
      status: 204,
      body: resetBody,
      responses: {
        204: { description: 'The password is changed; every session ended' },
        400: { description: '`invalid_token` (unknown, used or expired), or a bad `password`, named' },
        429: { description: 'Too many attempts from this address' },
      },
      handler: async ({ body, ip }) => {
        await throttles.hit('password_reset_ip', ip);
        await resetPassword(rt, body.token, body.password, { ip });
      },
    }),
  ];
}

import { setTimeout } from 'node:timers/promises';
import {
  consumeAccountToken,
  invalidToken,
  retireAccountTokens,
  sendPasswordResetMail,
} from '../../../shared/accounts/account-tokens.js';
import { recordSecurityEvent } from '../../../shared/auth/security-events.js';
import { requireMail } from '../../../shared/mail/index.js';
import type { Runtime } from '../../../shared/runtime.js';
import { setPasswordHash } from '../../accounts/password-commands.js';
import { revokeAllSessions } from '../../accounts/session-commands.js';
import { findUserByLogin } from '../../accounts/user-commands.js';
import type { ApiServices } from '../../services.js';
import { definePublicRoute, type AnyRoute } from '../route.js';
import { forgotBody, resetBody } from './schema.js';

/** Every answer of POST /auth/password/forgot takes at least this long (see there). */
const FORGOT_FLOOR_MS = 250;

/** POST /auth/password/forgot, POST /auth/password/reset. */
export function passwordResetRoutes(rt: Runtime, { throttles }: ApiServices): AnyRoute[] {
  /** Mails a reset link when `login` names an enabled person with an email who has mails left. */
  const requestReset = async (login: string, ip: string): Promise<void> => {
    const user = await findUserByLogin(rt, login);
    const eligible = user !== null && !user.is_bot && !user.disabled_at && user.email !== null;
    // The same Redis round trip either way, keyed by the account when there is one.
    const allowed = await throttles.tryHit(
      'password_forgot_account',
      eligible ? user.id : `login:${login.toLowerCase()}`,
    );
    if (!eligible || !allowed) return;
    await sendPasswordResetMail(rt, user);
    await recordSecurityEvent(rt, 'password_reset_requested', { userId: user.id, ip });
  };

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
        await requestReset(body.login, ip);
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
        const user = await rt.sequelize.transaction(async (transaction) => {
          const { user_id } = await consumeAccountToken(rt, body.token, 'password_reset', transaction);
          const found = await rt.models.User.findByPk(user_id, {
            transaction,
            lock: transaction.LOCK.UPDATE,
          });
          // Rolls the use back too: a token of a disabled account stays as it was.
          if (!found || found.disabled_at || found.is_bot) throw invalidToken();
          await setPasswordHash(rt, found, body.password);
          await found.save({ fields: ['password_hash', 'password_changed_at'], transaction });
          await retireAccountTokens(rt, found.id, 'password_reset', transaction);
          return found;
        });
        const ended = await revokeAllSessions(rt, user.id, 'password_reset', ip);
        await recordSecurityEvent(rt, 'password_reset', {
          userId: user.id,
          ip,
          details: { revoked_sessions: ended },
        });
      },
    }),
  ];
}

import type { Request } from 'express';

import { verifyAgainstDummy, verifyPassword } from '../../../shared/auth/password.js';
import { recordSecurityEvent } from '../../../shared/auth/security-events.js';
import { ApiError } from '../../../shared/errors.js';
import { findUserByLogin } from '../../../shared/accounts/find-user.js';
import { revokeSessions, type ClientInfo } from '../../../shared/accounts/sessions.js';
import { rehashIfWeak, signIn, signInWithSecondFactor } from '../../../shared/domain/accounts/sign-in.js';
import {
  assertRegistrationAllowed,
  registerAccount,
  type Registration,
} from '../../../shared/domain/accounts/register.js';
import { presentSelf } from '../../../shared/presenters/user.js';
import type { Runtime } from '../../../shared/runtime.js';
import { setDeviceCookie } from '../../accounts/device-cookie.js';
import { countAttempt, countLoginAttempt } from '../../accounts/login-throttle.js';
import { claimTicketAttempt, consumeTicket, createTicket } from '../../accounts/mfa.js';
import type { ApiServices } from '../../services.js';
import { defineRoute, definePublicRoute, type AnyRoute } from '../route.js';
import { loginBody, loginResponse, mfaBody, registerBody, tokenResponse } from './schema.js';

function client(req: Request, ip: string): ClientInfo {
  return { ip, userAgent: req.headers['user-agent'] ?? null };
}

const invalidCredentials = () => new ApiError(401, 'invalid_credentials', 'Invalid login or password');

/** POST /auth/register, /auth/login, /auth/mfa/totp, /auth/logout. */
export function authRoutes(rt: Runtime, { throttles, secretBox }: ApiServices): AnyRoute[] {
  const { User } = rt.models;
  return [
    definePublicRoute<Record<string, never>, Record<string, never>, Registration>({
      method: 'post',
      path: '/auth/register',
      summary: 'Create an account',
      description: [
        'Who may register is `auth.registration` (GET /instance says): `open`, `invite_only` (`invite`',
        'is required: a usable server invite code) or `closed` (403 `registration_closed`; admins',
        'create accounts). An `invite`, in any mode, is used (one use, atomically, with the account in',
        'one transaction) and the new user joins its server. With an `email` and mail configured, a',
        'verification mail is sent (`verified` is false until its link is followed).',
      ].join(' '),
      tags: ['Auth'],
      status: 201,
      body: registerBody,
      responses: {
        201: { description: 'Registered and signed in', schema: tokenResponse },
        400: { description: 'A bad field, named; `invite` missing on an invite-only instance' },
        403: {
          description:
            '`registration_closed`, or `invalid_invite` (unknown, expired, revoked or used up: `errors.invite`)',
        },
        409: { description: 'Username or email taken' },
        429: { description: 'Too many registrations from this address' },
      },
      handler: async ({ body, ip, req, res }) => {
        // Checked before the throttle too: a refused registration does not spend the address's budget.
        assertRegistrationAllowed(rt.config, body.invite);
        await throttles.hit('register_ip', ip);
        const { token, user } = await registerAccount(rt, body, client(req, ip));
        setDeviceCookie(res, rt.config, user.id);
        return { token, user: presentSelf(rt.config, user) };
      },
    }),
    definePublicRoute<Record<string, never>, Record<string, never>, { login: string; password: string }>({
      method: 'post',
      path: '/auth/login',
      summary: 'Sign in with username or email and password',
      description:
        'Answers `{token, user}`, or `{mfa_required: true, ticket}` when 2FA is on: exchange the ticket at /auth/mfa/totp. ' +
        'A successful sign-in sets a device cookie (HttpOnly, path /api/v1/auth): sent back on later logins, it ' +
        'marks a known device, which failures by strangers (elsewhere) do not lock out. Failures are throttled per ' +
        'IP, per account and source IP (progressive delay), per account for unknown sources, and per device.',
      tags: ['Auth'],
      body: loginBody,
      responses: {
        200: { description: 'Signed in, or a second factor is needed', schema: loginResponse },
        401: { description: 'Invalid login or password (the same answer whether or not the user exists)' },
        429: { description: 'Too many failed attempts from this address, this device, or for this account' },
      },
      handler: async ({ body, ip, req, res }) => {
        const login = body.login.trim().toLowerCase();
        const user = await findUserByLogin(rt, login);
        // Unknown logins are throttled like real ones, so the answers do not tell them apart.
        const account = user?.id ?? `login:${login}`;
        const attempt = await countLoginAttempt(rt, throttles, req, ip, user, account);
        const ok =
          user?.password_hash && !user.is_bot
            ? await verifyPassword(body.password, user.password_hash)
            : await verifyAgainstDummy(body.password, rt.config.security.scrypt_cost);
        if (!user || !ok) {
          await recordSecurityEvent(rt, 'login_failure', {
            userId: user?.id ?? null,
            ip,
            details: { login },
          });
          throw invalidCredentials();
        }
        if (user.disabled_at) throw new ApiError(403, 'account_disabled', 'This account is disabled');
        await attempt.succeeded();
        await rehashIfWeak(rt, user, body.password);
        if (user.mfa_enabled) return { mfa_required: true, ticket: await createTicket(rt, user.id) };
        const { token } = await signIn(rt, user, client(req, ip));
        setDeviceCookie(res, rt.config, user.id);
        return { token, user: presentSelf(rt.config, user) };
      },
    }),
    definePublicRoute<Record<string, never>, Record<string, never>, { ticket: string; code: string }>({
      method: 'post',
      path: '/auth/mfa/totp',
      summary: 'Finish a 2FA login with a TOTP or backup code',
      description:
        'The ticket is single-use and short-lived; each TOTP code and each backup code works once. Each code is ' +
        'counted before it is checked: a ticket dies after `security.throttle.mfa_account.points` wrong codes, ' +
        'and the account refuses codes (429) past that many per window, however many are sent at once.',
      tags: ['Auth'],
      body: mfaBody,
      responses: {
        200: { description: 'Signed in', schema: tokenResponse },
        401: { description: 'Unknown, expired, used or exhausted ticket, or a wrong code' },
        429: { description: 'Too many wrong codes for this account' },
      },
      handler: async ({ body, ip, req, res }) => {
        const claim = await claimTicketAttempt(rt, body.ticket);
        const invalidTicket = () => new ApiError(401, 'invalid_ticket', 'Unknown or expired login ticket');
        if (!claim) throw invalidTicket();
        const { userId, exhausted } = claim;
        const user = await User.findByPk(userId);
        if (!user || user.disabled_at) throw invalidTicket();
        const attempt = await countAttempt(rt, throttles, { userId, ip, details: { factor: 'mfa' } }, [
          'mfa_account',
          userId,
        ]);
        const signedIn = await signInWithSecondFactor(rt, secretBox, {
          userId,
          code: body.code,
          client: client(req, ip),
          useTicket: async () => {
            if (!(await consumeTicket(rt, body.ticket))) throw invalidTicket();
          },
        });
        if (!signedIn) {
          await recordSecurityEvent(rt, 'mfa_failure', { userId, ip });
          // The last code a ticket allows was wrong: the ticket dies with it.
          if (exhausted) await consumeTicket(rt, body.ticket);
          throw new ApiError(401, 'invalid_code', 'Invalid two-factor code');
        }
        await attempt.succeeded();
        setDeviceCookie(res, rt.config, user.id);
        return { token: signedIn.token, user: presentSelf(rt.config, signedIn.user) };
      },
    }),
    defineRoute({
      method: 'post',
      path: '/auth/logout',
      access: 'user',
      userOnly: true,
      summary: 'Revoke the calling session',
      tags: ['Auth'],
      status: 204,
      responses: { 204: { description: 'Signed out: the token no longer works' } },
      handler: async ({ auth, ip }) => {
        await revokeSessions(rt, [auth.session], 'logout', { ip });
      },
    }),
  ];
}

import Joi from 'joi';
import { confirmTotp, disableTotp, startTotp, type CodeCheck } from '../../../shared/domain/accounts/mfa.js';
import type { Runtime } from '../../../shared/runtime.js';
import { countAttempt } from '../../accounts/login-throttle.js';
import type { ApiServices } from '../../services.js';
import { defineRoute, type AnyRoute } from '../route.js';
import { codeBody } from './schema.js';

/** POST /users/@me/mfa/totp/{enable,confirm,disable}. */
export function mfaRoutes(rt: Runtime, { secretBox, throttles }: ApiServices): AnyRoute[] {
  /** Codes on these routes count toward the same per-account limit as at login, before they are checked. */
  const codeCheck = (userId: string, code: string, ip: string): CodeCheck => ({
    code,
    ip,
    attempt: () =>
      countAttempt(rt, throttles, { userId, ip, details: { factor: 'mfa' } }, ['mfa_account', userId]),
  });

  return [
    defineRoute({
      method: 'post',
      path: '/users/@me/mfa/totp/enable',
      access: 'user',
      userOnly: true,
      summary: 'Start enabling TOTP 2FA',
      description:
        'Returns a new secret and its otpauth:// URL; 2FA is on only after /confirm with a code from it.',
      tags: ['2FA'],
      responses: {
        200: {
          description: 'The pending secret',
          schema: Joi.object({ secret: Joi.string().required(), otpauth_url: Joi.string().required() }),
        },
        409: { description: '2FA is already on' },
      },
      handler: ({ auth }) => startTotp(rt, secretBox, auth.user.id),
    }),
    defineRoute<Record<string, never>, Record<string, never>, { code: string }>({
      method: 'post',
      path: '/users/@me/mfa/totp/confirm',
      access: 'user',
      userOnly: true,
      summary: 'Turn TOTP 2FA on with a code from the pending secret',
      description: 'Answers ten one-time backup codes, shown only now.',
      tags: ['2FA'],
      body: codeBody,
      responses: {
        200: {
          description: '2FA is on',
          schema: Joi.object({ backup_codes: Joi.array().items(Joi.string()).length(10).required() }),
        },
        400: { description: 'Wrong code, or no pending secret' },
        409: { description: '2FA is already on' },
      },
      handler: async ({ auth, body, ip }) => ({
        backup_codes: await confirmTotp(rt, secretBox, auth.user.id, codeCheck(auth.user.id, body.code, ip)),
      }),
    }),
    defineRoute<Record<string, never>, Record<string, never>, { code: string }>({
      method: 'post',
      path: '/users/@me/mfa/totp/disable',
      access: 'user',
      userOnly: true,
      summary: 'Turn TOTP 2FA off',
      description: 'Needs a valid TOTP code or an unused backup code.',
      tags: ['2FA'],
      body: codeBody,
      status: 204,
      responses: { 204: { description: '2FA is off' }, 400: { description: 'Wrong code, or 2FA is not on' } },
      handler: async ({ auth, body, ip }) => {
        await disableTotp(rt, secretBox, auth.user.id, codeCheck(auth.user.id, body.code, ip));
      },
    }),
  ];
}

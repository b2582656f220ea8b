import { turnOffMfa } from '../../../shared/accounts/account-tokens.js';
import Joi from 'joi';
import { recordSecurityEvent } from '../../../shared/auth/security-events.js';
import { ApiError, ConflictError } from '../../../shared/errors.js';
import type { Runtime } from '../../../shared/runtime.js';
import { generateBackupCodes, newTotpSecret, verifySecondFactor, verifyTotp } from '../../accounts/mfa.js';
import { countAttempt } from '../../accounts/login-throttle.js';
import type { ApiServices } from '../../services.js';
import { defineRoute, type AnyRoute } from '../route.js';
import { codeBody } from './schema.js';

const invalidCode = () =>
  new ApiError(400, 'invalid_code', 'Invalid two-factor code', { code: 'is not valid' });

/** POST /users/@me/mfa/totp/{enable,confirm,disable}. */
export function mfaRoutes(rt: Runtime, { secretBox, throttles }: ApiServices): AnyRoute[] {
  /** Codes on these routes count toward the same per-account limit as at login, before they are checked. */
  const countCode = (userId: string, ip: string) =>
    countAttempt(rt, throttles, { userId, ip, details: { factor: 'mfa' } }, ['mfa_account', userId]);
  async function failed(userId: string, ip: string): Promise<never> {
    await recordSecurityEvent(rt, 'mfa_failure', { userId, ip });
    throw invalidCode();
  }

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
      handler: async ({ auth }) => {
        if (auth.kind === 'bot') throw new ApiError(403, 'bots_cannot_use_mfa', 'Bots cannot use 2FA');
        if (auth.user.mfa_enabled)
          throw new ConflictError('mfa_already_enabled', 'Two-factor authentication is already on');
        const { secret, otpauth_url } = newTotpSecret(auth.user.username);
        auth.user.mfa_pending_secret = secretBox.seal(secret);
        await auth.user.save({ fields: ['mfa_pending_secret'] });
        return { secret, otpauth_url };
      },
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
      handler: async ({ auth, body, ip }) => {
        const user = auth.user;
        if (user.mfa_enabled)
          throw new ConflictError('mfa_already_enabled', 'Two-factor authentication is already on');
        if (!user.mfa_pending_secret) {
          throw new ApiError(400, 'mfa_not_started', 'Call /users/@me/mfa/totp/enable first');
        }
        const attempt = await countCode(user.id, ip);
        if (!(await verifyTotp(rt, user, secretBox.open(user.mfa_pending_secret), body.code.trim()))) {
          return failed(user.id, ip);
        }
        await attempt.succeeded();
        user.mfa_secret = user.mfa_pending_secret;
        user.mfa_pending_secret = null;
        user.mfa_enabled = true;
        await user.save({ fields: ['mfa_secret', 'mfa_pending_secret', 'mfa_enabled'] });
        const backup_codes = await generateBackupCodes(rt, user.id);
        await recordSecurityEvent(rt, 'mfa_enabled', { userId: user.id, ip });
        return { backup_codes };
      },
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
        const user = auth.user;
        if (!user.mfa_enabled)
          throw new ApiError(400, 'mfa_not_enabled', 'Two-factor authentication is not on');
        const attempt = await countCode(user.id, ip);
        const factor = await verifySecondFactor(rt, secretBox, user, body.code);
        if (!factor) return failed(user.id, ip);
        await attempt.succeeded();
        if (factor === 'backup') await recordSecurityEvent(rt, 'backup_code_used', { userId: user.id, ip });
        await turnOffMfa(rt, user);
        await recordSecurityEvent(rt, 'mfa_disabled', { userId: user.id, ip });
      },
    }),
  ];
}

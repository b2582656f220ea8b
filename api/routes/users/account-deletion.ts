import { deleteAccount } from '../../../shared/accounts/delete-account.js';
import { recordSecurityEvent } from '../../../shared/auth/security-events.js';
import { ApiError, ValidationError } from '../../../shared/errors.js';
import type { Runtime } from '../../../shared/runtime.js';
import { countAttempt } from '../../accounts/login-throttle.js';
import { reauthenticate, reauthFailures, reauthRule } from '../../accounts/reauthentication.js';
import { verifySecondFactor } from '../../../shared/accounts/second-factor.js';
import type { ApiServices } from '../../services.js';
import { defineRoute, type AnyRoute } from '../route.js';
import { deleteMeBody } from './schema.js';

type DeleteMe = { password?: string; code?: string };

/** DELETE /users/@me: the account deletes itself (shared/accounts/delete-account.ts). */
export function accountDeletionRoutes(rt: Runtime, { secretBox, throttles }: ApiServices): AnyRoute[] {
  return [
    defineRoute<Record<string, never>, Record<string, never>, DeleteMe>({
      method: 'delete',
      path: '/users/@me',
      access: 'user',
      userOnly: true,
      summary: 'Delete the caller’s account',
      description:
        'Needs `password` and, when 2FA is on, `code` (a TOTP code or an unused backup code). ' +
        reauthRule('password') +
        ' While the ' +
        'account owns servers the answer is 409 `owns_servers` with `servers: [{id, name}]` (transfer them with ' +
        'PATCH /servers/{id} `owner_id`, or delete them); while it owns bot applications, 409 ' +
        '`owns_applications` with `applications: [{id, name}]`. Then, at once: every session ends (tokens ' +
        'answer 401, gateway connections close), personal data is erased (email, avatar, password, 2FA, ' +
        'sessions, relationships, push subscriptions, notification settings, OAuth2 grants, linked sign-ins, ' +
        'data exports) and the account leaves every server (members get SERVER_MEMBER_REMOVE). Its messages ' +
        'stay, under the placeholder user `deleted_user_<id>` (`deleted: true`, no avatar). The old username ' +
        'is reserved for `accounts.deleted_username_grace_days` days. Wrong passwords and codes are ' +
        'throttled per account as at login (429 once locked out). Recorded as the security event `account_deleted`.',
      tags: ['Users'],
      body: deleteMeBody,
      status: 204,
      responses: {
        204: { description: 'The account is deleted' },
        400: {
          description:
            `\`validation_error\` (\`code\` missing while 2FA is on); ${reauthFailures('password')}; ` +
            'or `invalid_code` naming `code`',
        },
        409: { description: '`owns_servers` (with `servers`) or `owns_applications` (with `applications`)' },
        429: { description: 'Too many wrong passwords or codes: locked out for a while' },
      },
      handler: async ({ auth, body, ip }) => {
        const user = auth.user;
        // The 2FA code is checked before the password's point is given back, as at login.
        await reauthenticate(
          rt,
          throttles,
          auth,
          ip,
          { field: 'password', value: body.password },
          async (account) => {
            if (!account.mfa_enabled) return;
            if (body.code === undefined) {
              throw new ValidationError({ code: 'is required when two-factor authentication is on' });
            }
            const codeAttempt = await countAttempt(
              rt,
              throttles,
              { userId: user.id, ip, details: { factor: 'mfa' } },
              ['mfa_account', user.id],
            );
            const factor = await verifySecondFactor(rt, secretBox, account, body.code, { spend: false });
            if (!factor) {
              await recordSecurityEvent(rt, 'mfa_failure', { userId: user.id, ip });
              throw new ApiError(400, 'invalid_code', 'Invalid two-factor code', { code: 'is not valid' });
            }
            await codeAttempt.succeeded();
          },
        );
        await deleteAccount(rt, user.id, { kind: 'self', ip });
      },
    }),
  ];
}

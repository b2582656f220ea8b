import {
  operatorCreateAccount,
  operatorDisableMfa,
  operatorIssueResetLink,
  operatorSendResetMail,
  type Operator,
} from '../../../shared/domain/accounts/operator-tools.js';
import type { Row } from '../../../shared/db/models/index.js';
import { NotFoundError } from '../../../shared/errors.js';
import type { Runtime } from '../../../shared/runtime.js';
import { getAdminUser } from '../../admin/users.js';
import { defineRoute, type AnyRoute } from '../route.js';
import {
  adminUserObject,
  adminUserParams,
  createAdminUserBody,
  passwordResetBody,
  passwordResetResult,
  type CreateAdminUserBody,
} from './users-schema.js';

/**
 * POST /admin/users, POST /admin/users/{user_id}/password-reset, DELETE /admin/users/{user_id}/mfa:
 * account creation and recovery for instance admins (the dashboard's users page; the CLI does the
 * same through shared/domain/accounts/operator-tools.ts). Every one is recorded as a security event.
 */
export function adminAccountRoutes(rt: Runtime): AnyRoute[] {
  const findUser = async (userId: string): Promise<Row<'User'>> => {
    const user = await rt.models.User.findByPk(userId);
    if (!user) throw new NotFoundError('user');
    return user;
  };
  const operator = (adminId: string, ip: string): Operator => ({ adminId, via: 'admin_api', ip });

  return [
    defineRoute<Record<string, never>, Record<string, never>, CreateAdminUserBody>({
      method: 'post',
      path: '/admin/users',
      access: 'admin',
      userOnly: true,
      summary: 'Create an account',
      description:
        'Works in every `auth.registration` mode (closed included). Recorded as an `account_created` ' +
        'security event (`details.by`). The user signs in with the password given; hand it over, or ' +
        'follow with a reset link (POST /admin/users/{user_id}/password-reset) so only they know theirs.',
      tags: ['Admin'],
      status: 201,
      body: createAdminUserBody,
      responses: {
        201: { description: 'The account', schema: adminUserObject },
        400: { description: 'A bad field, named' },
        409: { description: '`username_taken` or `email_taken`' },
      },
      handler: async ({ body, auth, ip }) => {
        const { admin, ...fields } = body;
        const user = await operatorCreateAccount(
          rt,
          { ...fields, isAdmin: admin },
          operator(auth.user.id, ip),
        );
        return getAdminUser(rt, user.id);
      },
    }),
    defineRoute<{ user_id: string }, Record<string, never>, { delivery: 'mail' | 'link' }>({
      method: 'post',
      path: '/admin/users/{user_id}/password-reset',
      access: 'admin',
      userOnly: true,
      summary: 'Send a password reset mail, or issue a one-time reset link',
      description: [
        '`mail` sends the user the same mail as POST /auth/password/forgot (503 `email_disabled`',
        'without SMTP, 400 `no_email` when the account has none); `link` answers with the link',
        'itself, for the admin to hand over (works without SMTP). Either link works once, for one',
        'hour, and ends every session of the account when used. Recorded as',
        '`password_reset_requested` or `password_reset_link_issued` (`details.by`).',
      ].join(' '),
      tags: ['Admin'],
      params: adminUserParams,
      body: passwordResetBody,
      responses: {
        200: { description: 'Sent, or the link', schema: passwordResetResult },
        400: { description: '`no_email`, `bot_account`, or a bad `delivery`' },
        404: { description: '`unknown_user`' },
        503: { description: '`email_disabled` (`mail` only)' },
      },
      handler: async ({ params, body, auth, ip }) => {
        const user = await findUser(params.user_id);
        if (body.delivery === 'link') {
          return {
            delivery: 'link',
            ...(await operatorIssueResetLink(rt, user, operator(auth.user.id, ip))),
          };
        }
        const sent = await operatorSendResetMail(rt, user, operator(auth.user.id, ip));
        return { delivery: 'mail', link: null, ...sent };
      },
    }),
    defineRoute<{ user_id: string }>({
      method: 'delete',
      path: '/admin/users/{user_id}/mfa',
      access: 'admin',
      userOnly: true,
      summary: 'Turn off a user’s 2FA',
      description:
        'For a user who lost their authenticator and backup codes: TOTP and backup codes are removed; ' +
        'the password still applies. Sessions are left alone. Recorded as `mfa_disabled` (`details.by`).',
      tags: ['Admin'],
      status: 204,
      params: adminUserParams,
      responses: {
        204: { description: '2FA is off' },
        400: { description: '`mfa_not_enabled` or `bot_account`' },
        404: { description: '`unknown_user`' },
      },
      handler: async ({ params, auth, ip }) => {
        await operatorDisableMfa(rt, await findUser(params.user_id), operator(auth.user.id, ip));
      },
    }),
  ];
}

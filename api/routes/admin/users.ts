import Joi from 'joi';
import type { Runtime } from '../../../shared/runtime.js';
import { clearBrowserSessionCookie, setBrowserSessionCookie } from '../../admin/browser-auth.js';
import {
  operatorForceLogout,
  operatorSetDisabled,
  type Operator,
} from '../../../shared/domain/accounts/operator-tools.js';
import { getAdminUser, listServers, listUsers } from '../../admin/users.js';
import { defineRoute, type AnyRoute } from '../route.js';
import { badPageResponse } from '../common-schemas.js';
import {
  adminServerObject,
  adminServersQuery,
  adminUserObject,
  adminUserParams,
  adminUsersQuery,
  browserSessionObject,
  forcedLogoutObject,
  patchAdminUserBody,
  type AdminServersQuery,
  type AdminUsersQuery,
} from './users-schema.js';

const operator = (adminId: string, ip: string): Operator => ({ adminId, via: 'admin_api', ip });

/**
 * GET/PATCH /admin/users, POST /admin/users/{user_id}/logout, GET /admin/servers and the admin
 * browser session (POST/DELETE /admin/browser-session): instance admins only (a 403 for anyone else).
 */
export function adminUserRoutes(rt: Runtime): AnyRoute[] {
  return [
    defineRoute<Record<string, never>, AdminUsersQuery>({
      method: 'get',
      path: '/admin/users',
      access: 'admin',
      summary: 'Accounts, newest first, searchable by username or email prefix',
      description:
        '`query` matches the start of the username or of the email address, in any case (`_` and `%` ' +
        'are literal). Pages with `before` or `after` (an account id). Bots are listed too (`is_bot`).',
      tags: ['Admin'],
      query: adminUsersQuery,
      responses: {
        200: { description: 'One page of accounts', schema: Joi.array().items(adminUserObject) },
        400: { description: 'A bad `query`, `before`, `after` or `limit`, named' },
      },
      handler: ({ query }) => listUsers(rt, query),
    }),
    defineRoute<{ user_id: string }>({
      method: 'get',
      path: '/admin/users/{user_id}',
      access: 'admin',
      summary: 'One account as admins see it',
      tags: ['Admin'],
      params: adminUserParams,
      responses: {
        200: { description: 'The account', schema: adminUserObject },
        404: { description: '`unknown_user`' },
      },
      handler: ({ params }) => getAdminUser(rt, params.user_id),
    }),
    defineRoute<{ user_id: string }, Record<string, never>, { disabled: boolean }>({
      method: 'patch',
      path: '/admin/users/{user_id}',
      access: 'admin',
      userOnly: true,
      summary: 'Disable or re-enable an account',
      description: [
        'Disabling ends every session of the account at once (its tokens answer 401, its gateway',
        'connections close, its push subscriptions go) and refuses its sign-ins (403',
        '`account_disabled`); OAuth2 tokens acting for it stop working too. Re-enabling restores',
        'sign-in, not the ended sessions. Both are recorded as security events (`account_disabled`,',
        '`account_enabled`, with `details.by`). An admin cannot disable their own account (400',
        '`cannot_disable_self`); a bot whose application was deleted cannot be re-enabled (409).',
      ].join(' '),
      tags: ['Admin'],
      params: adminUserParams,
      body: patchAdminUserBody,
      responses: {
        200: { description: 'The account after the change', schema: adminUserObject },
        400: { description: '`validation_error` (field named), or `cannot_disable_self`' },
        404: { description: '`unknown_user`' },
        409: { description: '`application_deleted` (a deleted application’s bot) or `account_deleted`' },
      },
      handler: async ({ params, body, auth, ip }) => {
        await operatorSetDisabled(rt, params.user_id, body.disabled, operator(auth.user.id, ip));
        return getAdminUser(rt, params.user_id);
      },
    }),
    defineRoute<{ user_id: string }>({
      method: 'post',
      path: '/admin/users/{user_id}/logout',
      access: 'admin',
      userOnly: true,
      summary: 'Sign an account out everywhere',
      description:
        'Revokes every session of the account (its tokens answer 401 from the next request, its gateway ' +
        'connections close at once); it may sign in again. Recorded as a `forced_logout` security event. ' +
        'OAuth2 grants the user gave applications are left alone (disable the account to stop those).',
      tags: ['Admin'],
      params: adminUserParams,
      responses: {
        200: { description: 'How many sessions ended', schema: forcedLogoutObject },
        404: { description: '`unknown_user`' },
      },
      handler: ({ params, auth, ip }) => operatorForceLogout(rt, params.user_id, operator(auth.user.id, ip)),
    }),
    defineRoute<Record<string, never>, AdminServersQuery>({
      method: 'get',
      path: '/admin/servers',
      access: 'admin',
      summary: 'Every server, newest first, with member and channel counts',
      tags: ['Admin'],
      query: adminServersQuery,
      responses: {
        200: { description: 'One page of servers', schema: Joi.array().items(adminServerObject) },
        400: badPageResponse,
      },
      handler: ({ query }) => listServers(rt, query),
    }),
    defineRoute({
      method: 'post',
      path: '/admin/browser-session',
      access: 'admin',
      userOnly: true,
      summary: 'Open a browser session for admin pages (Bull Board)',
      description: [
        'Browsers cannot send a Bearer token when they follow a link, so this sets a cookie for the',
        'admin pages under `/admin/` (Bull Board at `/admin/queues`): `plexichat_admin`, HttpOnly,',
        'SameSite=Strict, Path=/admin, Secure when `server.public_url` is https. It holds the',
        'calling session’s id and an expiry 12 hours ahead, signed with a key derived from the',
        'instance secret; it stops working when it expires, when that session is revoked (logout),',
        'or when the user is no longer an admin or is disabled. The REST API never reads it.',
      ].join(' '),
      tags: ['Admin'],
      responses: {
        200: { description: 'The cookie is set (Set-Cookie)', schema: browserSessionObject },
      },
      handler: ({ auth, res }) => ({
        expires_at: setBrowserSessionCookie(res, rt.config, auth.session.id),
        bull_board: rt.config.admin.bull_board,
      }),
    }),
    defineRoute({
      method: 'delete',
      path: '/admin/browser-session',
      access: 'admin',
      userOnly: true,
      summary: 'Clear the admin browser session cookie',
      description: 'Signing out of the API session (POST /auth/logout) also ends the cookie’s use.',
      tags: ['Admin'],
      status: 204,
      responses: { 204: { description: 'The cookie is cleared' } },
      handler: ({ res }) => {
        clearBrowserSessionCookie(res, rt.config);
      },
    }),
  ];
}

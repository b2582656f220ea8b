import Joi from 'joi';
import { NotFoundError } from '../../../shared/errors.js';
import { unixSeconds } from '../../../shared/presenters/time.js';
import { DEFAULT_PAGE_LIMIT, asksForPage, pageBy, type PageQuery } from '../../../shared/pagination.js';
import type { Runtime } from '../../../shared/runtime.js';
import { revokeSessions } from '../../../shared/accounts/sessions.js';
import { workingUserSessions } from '../../../shared/auth/sessions.js';
import { badPageResponse, wholeListQuery } from '../common-schemas.js';
import { defineRoute, type AnyRoute } from '../route.js';
import { sessionObject, sessionParams } from './schema.js';

/** GET /users/@me/sessions, DELETE /users/@me/sessions/{session_id}. */
export function sessionRoutes(rt: Runtime): AnyRoute[] {
  const { Session } = rt.models;
  return [
    defineRoute<Record<string, never>, Partial<PageQuery>>({
      method: 'get',
      path: '/users/@me/sessions',
      access: 'user',
      userOnly: true,
      summary: 'The caller’s live sessions',
      description:
        'Every live session (not revoked, not idle past `security.session_idle_days`), newest first, as ' +
        'API.md lists them. With any of `limit`, `before` or `after`, one ' +
        'page by session id instead (newest first with `before` or with neither, oldest first with `after`; ' +
        '`limit` 1-100, default 50).',
      tags: ['Sessions'],
      query: wholeListQuery,
      responses: {
        200: {
          description: 'Every live session, or one page of them',
          schema: Joi.array().items(sessionObject),
        },
        400: badPageResponse,
      },
      handler: async ({ auth, query }) => {
        const paged = asksForPage(query);
        const page = pageBy('id', { ...query, limit: query.limit ?? DEFAULT_PAGE_LIMIT });
        const sessions = await Session.findAll({
          where: { ...workingUserSessions(rt.config), user_id: auth.user.id, ...page.where },
          order: page.order,
          ...(paged ? { limit: page.limit } : {}),
        });
        return sessions.map((s) => ({
          id: s.id,
          created_at: unixSeconds(s.created_at),
          last_used_at: unixSeconds(s.last_used_at),
          ip: s.ip,
          user_agent: s.user_agent,
          current: s.id === auth.session.id,
        }));
      },
    }),
    defineRoute<{ session_id: string }>({
      method: 'delete',
      path: '/users/@me/sessions/{session_id}',
      access: 'user',
      userOnly: true,
      summary: 'Revoke one of the caller’s sessions',
      description: 'Its token stops working at once and its gateway connections are closed.',
      tags: ['Sessions'],
      params: sessionParams,
      status: 204,
      responses: { 204: { description: 'Revoked' }, 404: { description: 'No such live session of yours' } },
      handler: async ({ auth, params, ip }) => {
        const session = await Session.findOne({
          where: { ...workingUserSessions(rt.config), id: params.session_id, user_id: auth.user.id },
        });
        if (!session) throw new NotFoundError('session');
        await revokeSessions(rt, [session], 'revoked_by_user', { ip });
      },
    }),
  ];
}

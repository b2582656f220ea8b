import { QueryTypes } from 'sequelize';
import { editProfile } from '../../../shared/domain/users/profile.js';
import { NotFoundError } from '../../../shared/errors.js';
import { presentServer } from '../../../shared/presenters/server.js';
import { presentSelf, presentUser } from '../../../shared/presenters/user.js';
import type { Runtime } from '../../../shared/runtime.js';
import { requireCurrentPassword } from '../../accounts/current-password.js';
import type { ApiServices } from '../../services.js';
import { selfUserObject, userObject } from '../common-schemas.js';
import { defineRoute, type AnyRoute } from '../route.js';
import { patchMeBody, userIdParams } from './schema.js';
import Joi from 'joi';

interface PatchMe {
  username?: string;
  email?: string | null;
  password?: string;
  current_password?: string;
  avatar_url?: string | null;
}

/** GET/PATCH /users/@me, GET /users/{user_id}, GET /users/@me/servers. */
export function userRoutes(rt: Runtime, { throttles }: ApiServices): AnyRoute[] {
  const { User, Server } = rt.models;
  return [
    defineRoute({
      method: 'get',
      path: '/users/@me',
      access: 'user',
      oauth_scopes: ['identify'],
      summary: 'The caller',
      description: 'OAuth2: needs `identify`; `email` is null unless the token also has `email`.',
      tags: ['Users'],
      responses: { 200: { description: 'The caller’s own user object', schema: selfUserObject } },
      handler: ({ auth }) => {
        const self = presentSelf(auth.user);
        return auth.kind === 'oauth' && !auth.scopes.includes('email') ? { ...self, email: null } : self;
      },
    }),
    defineRoute<Record<string, never>, Record<string, never>, PatchMe>({
      method: 'patch',
      path: '/users/@me',
      access: 'user',
      summary: 'Update the caller’s profile, email or password',
      description:
        'Changing email or password needs `current_password`. A new password signs out every other session (their gateway connections close). ' +
        'A new email is unverified (`verified: false`) and, when the instance sends mail, gets a verification mail.',
      tags: ['Users'],
      body: patchMeBody,
      responses: {
        200: { description: 'The updated user', schema: selfUserObject },
        401: { description: 'Wrong current_password' },
        429: { description: 'Too many wrong current_password for this account' },
        409: { description: 'Username or email taken' },
      },
      handler: async ({ auth, body, ip }) => {
        const user = auth.user;
        if (body.current_password !== undefined) {
          await requireCurrentPassword(rt, throttles, user, body.current_password, ip);
        }
        const { current_password: _checked, ...edit } = body;
        const { user: edited } = await editProfile(rt, user.id, edit, { sessionId: auth.session.id, ip });
        return presentSelf(edited);
      },
    }),
    defineRoute({
      method: 'get',
      path: '/users/@me/servers',
      access: 'user',
      oauth_scopes: ['servers'],
      summary: 'Servers the caller is a member of',
      tags: ['Users'],
      responses: {
        200: { description: 'Servers with member counts', schema: Joi.array().items(Joi.object().unknown()) },
      },
      handler: async ({ auth }) => {
        const rows = await rt.sequelize.query<{ server_id: string; member_count: string }>(
          `SELECT m.server_id, (SELECT count(*) FROM members c WHERE c.server_id = m.server_id) AS member_count
             FROM members m WHERE m.user_id = $1`,
          { bind: [auth.user.id], type: QueryTypes.SELECT },
        );
        const counts = new Map(rows.map((r) => [r.server_id, Number(r.member_count)]));
        const servers = await Server.findAll({ where: { id: [...counts.keys()] }, order: [['id', 'ASC']] });
        return servers.map((s) => presentServer(s, counts.get(s.id) ?? 0));
      },
    }),
    defineRoute<{ user_id: string }>({
      method: 'get',
      path: '/users/{user_id}',
      access: 'user',
      summary: 'A user’s public profile',
      tags: ['Users'],
      params: userIdParams,
      responses: {
        200: { description: 'Public fields only', schema: userObject },
        404: { description: 'Unknown user' },
      },
      handler: async ({ params }) => {
        const user = await User.findByPk(params.user_id);
        if (!user) throw new NotFoundError('user');
        return presentUser(user);
      },
    }),
  ];
}

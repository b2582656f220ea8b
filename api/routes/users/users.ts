import { editProfile } from '../../../shared/domain/users/profile.js';
import { NotFoundError, ValidationError } from '../../../shared/errors.js';
import { presentServer } from '../../../shared/presenters/server.js';
import { presentSelf, presentUser } from '../../../shared/presenters/user.js';
import { pageBy, type PageQuery } from '../../../shared/pagination.js';
import type { Runtime } from '../../../shared/runtime.js';
import { reauthenticate, reauthFailures, reauthRule } from '../../accounts/reauthentication.js';
import {
  decodeDataUri,
  inspectPicture,
  readPictureUpload,
  type UploadedPicture,
} from '../../media/images.js';
import { validatePart } from '../../middleware/validate.js';
import type { ApiServices } from '../../services.js';
import { setAvatar } from '../../../shared/domain/users/avatar.js';
import { PROFILE_PICTURE_LIMITS, storeAvatar } from './avatar.js';
import { badPageResponse, pageQuery, selfUserObject, userObject } from '../common-schemas.js';
import { defineRoute, type AnyRoute } from '../route.js';
import { patchMeBody, patchMeForm, userIdParams } from './schema.js';
import Joi from 'joi';

interface PatchMe {
  username?: string;
  email?: string | null;
  password?: string;
  current_password?: string;
  avatar_url?: string | null;
  avatar?: string | null;
}

/** An avatar sent to PATCH /users/@me: PATCH /users/@me/avatar's limits, errors naming `avatar`. */
const AVATAR_FIELD = { ...PROFILE_PICTURE_LIMITS, field: 'avatar' };

/** GET/PATCH /users/@me, GET /users/{user_id}, GET /users/@me/servers. */
export function userRoutes(rt: Runtime, { throttles }: ApiServices): AnyRoute[] {
  const { User, Server, Member } = rt.models;
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
        const self = presentSelf(rt.config, auth.user);
        return auth.kind === 'oauth' && !auth.scopes.includes('email') ? { ...self, email: null } : self;
      },
    }),
    defineRoute<Record<string, never>, Record<string, never>, PatchMe>({
      method: 'patch',
      path: '/users/@me',
      access: 'user',
      summary: 'Update the caller’s profile, email or password',
      description:
        'Changing email or password needs `current_password`. ' +
        reauthRule('current_password') +
        ' A new password signs out every other session (their gateway connections close). ' +
        'A new email is unverified (`verified: false`) and, when the instance sends mail, gets a verification mail. ' +
        'The avatar is uploaded here too (or with PATCH /users/@me/avatar): multipart/form-data with the image as ' +
        'the `avatar` file (and optionally a `username` field), or JSON `avatar` as a `data:image/<type>;base64,...` ' +
        'URI (null removes it); the same checks and renditions as PATCH /users/@me/avatar, errors naming `avatar`.',
      tags: ['Users'],
      body: patchMeBody,
      multipart: { fields: patchMeForm },
      responses: {
        200: { description: 'The updated user', schema: selfUserObject },
        400: { description: `A bad field, named; ${reauthFailures('current_password')}` },
        429: { description: 'Too many wrong current_password for this account' },
        409: { description: 'Username or email taken' },
      },
      handler: async ({ auth, body, ip, req }) => {
        const user = auth.user;
        const context = { sessionId: auth.session.id, ip };
        if (body === undefined) {
          // multipart/form-data: the avatar file, and perhaps a username.
          const picture = await readPictureUpload(rt, req, AVATAR_FIELD);
          const fields = validatePart<{ username?: string }>(
            patchMeForm.fork('avatar', (f) => f.forbidden()),
            picture.fields,
            'body',
          );
          if (fields.username !== undefined)
            await editProfile(rt, user.id, { username: fields.username }, context);
          return storeAvatar(rt, user.id, picture);
        }
        const { current_password: _checked, avatar, ...edit } = body;
        if (avatar !== undefined && edit.avatar_url !== undefined) {
          throw new ValidationError({ avatar: 'cannot be sent with avatar_url' });
        }
        // The picture is checked before anything changes, so a bad one changes nothing.
        let picture: UploadedPicture | null = null;
        if (typeof avatar === 'string') {
          const data = decodeDataUri(avatar, AVATAR_FIELD);
          picture = { ...(await inspectPicture(rt, data, AVATAR_FIELD)), fields: {} };
        }
        // A current_password sent is always checked; an email or password change needs the proof.
        if (body.current_password !== undefined || edit.email !== undefined || edit.password !== undefined) {
          await reauthenticate(rt, throttles, auth, ip, {
            field: 'current_password',
            value: body.current_password,
          });
        }
        let self = presentSelf(rt.config, user);
        if (Object.keys(edit).length > 0)
          self = presentSelf(rt.config, (await editProfile(rt, user.id, edit, context)).user);
        if (picture) return storeAvatar(rt, user.id, picture);
        if (avatar === null) return setAvatar(rt, user.id, null);
        return self;
      },
    }),
    defineRoute<Record<string, never>, PageQuery>({
      method: 'get',
      path: '/users/@me/servers',
      access: 'user',
      oauth_scopes: ['servers'],
      summary: 'Servers the caller is a member of',
      description:
        'By server id: newest first with `before` or with neither, oldest first with `after`; `limit` 1-100, ' +
        'default 50. To list them all, page with `after` (from `after=0`) until a page is shorter than `limit`.',
      tags: ['Users'],
      query: pageQuery,
      responses: {
        200: {
          description: 'One page of servers with member counts',
          schema: Joi.array().items(Joi.object().unknown()),
        },
        400: badPageResponse,
      },
      handler: async ({ auth, query }) => {
        const page = pageBy('server_id', query);
        const memberships = await Member.findAll({
          attributes: ['server_id'],
          where: { user_id: auth.user.id, ...page.where },
          order: page.order,
          limit: page.limit,
        });
        const ids = memberships.map((m) => m.server_id);
        const counts = await Member.count({ where: { server_id: ids }, group: ['server_id'] });
        const countOf = new Map(counts.map((r) => [String(r.server_id), r.count]));
        const byId = new Map((await Server.findAll({ where: { id: ids } })).map((s) => [s.id, s]));
        return ids.flatMap((id) => {
          const server = byId.get(id);
          return server ? [presentServer(rt.config, server, countOf.get(id) ?? 0)] : [];
        });
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
        return presentUser(rt.config, user);
      },
    }),
  ];
}

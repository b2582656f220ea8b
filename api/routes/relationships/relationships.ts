import Joi from 'joi';
import type { PageQuery } from '../../../shared/pagination.js';
import type { Runtime } from '../../../shared/runtime.js';
import {
  listRelationships,
  removeRelationship,
  setRelationship,
  type SettableRelationshipStatus,
} from '../../../shared/domain/relationships/relationships.js';
import { badPageResponse, pageQuery } from '../common-schemas.js';
import { defineRoute, type AnyRoute } from '../route.js';
import { putRelationshipBody, relationshipObject, relationshipParams } from './schema.js';

/** GET /users/@me/relationships, PUT and DELETE /users/@me/relationships/{user_id}. */
export function relationshipRoutes(rt: Runtime): AnyRoute[] {
  return [
    defineRoute<Record<string, never>, PageQuery>({
      method: 'get',
      path: '/users/@me/relationships',
      access: 'user',
      summary: 'The caller’s friends, friend requests and blocks',
      description:
        'By the other user’s id (`id`): largest first with `before` or with neither, smallest first with ' +
        '`after`; `limit` 1-100, default 50. To list them all, page with `after` (from `after=0`) until a ' +
        'page is shorter than `limit`.',
      tags: ['Relationships'],
      query: pageQuery,
      responses: {
        200: {
          description: 'One page of relationships',
          schema: Joi.array().items(relationshipObject),
        },
        400: badPageResponse,
      },
      handler: ({ auth, query }) => listRelationships(rt, auth.user.id, query),
    }),
    defineRoute<{ user_id: string }, Record<string, never>, { status: SettableRelationshipStatus }>({
      method: 'put',
      path: '/users/@me/relationships/{user_id}',
      access: 'user',
      summary: 'Send or accept a friend request, or block a user',
      description:
        '`{status:"friend"}` sends a friend request, or accepts the one the user sent (both become `friend`); ' +
        'repeating it is a no-op. `{status:"blocked"}` blocks the user: their friendship or request with the ' +
        'caller ends and neither can open a DM with the other. Both sides receive `RELATIONSHIP_ADD` / ' +
        '`RELATIONSHIP_REMOVE` on the gateway. Bots cannot have relationships.',
      tags: ['Relationships'],
      status: 204,
      params: relationshipParams,
      body: putRelationshipBody,
      responses: {
        204: { description: 'Done (also when nothing changed)' },
        400: { description: 'Bad status, or the caller’s own id (`cannot_target_self`)' },
        403: {
          description:
            '`cannot_add_friend`: the user does not accept friend requests from the caller; ' +
            '`bots_cannot_have_relationships`: the caller is a bot',
        },
        404: { description: 'Unknown user' },
        409: { description: '`user_blocked`: the caller blocked this user; unblock first' },
      },
      handler: ({ auth, params, body }) => setRelationship(rt, auth.user.id, params.user_id, body.status),
    }),
    defineRoute<{ user_id: string }>({
      method: 'delete',
      path: '/users/@me/relationships/{user_id}',
      access: 'user',
      summary: 'Remove a friend, cancel or decline a request, or unblock',
      description:
        'Ending a friendship or a request removes it for both users; unblocking removes only the caller’s ' +
        'block (a block the other user placed stays).',
      tags: ['Relationships'],
      status: 204,
      params: relationshipParams,
      responses: {
        204: { description: 'Removed' },
        404: { description: '`unknown_relationship`: the caller has no relationship with this user' },
      },
      handler: ({ auth, params }) => removeRelationship(rt, auth.user.id, params.user_id),
    }),
  ];
}

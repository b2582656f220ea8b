import { openDm, openNotes } from '../../../shared/domain/private-channels/open.js';
import type { Runtime } from '../../../shared/runtime.js';
import { defineRoute, type AnyRoute } from '../route.js';
import { createDmBody, privateChannelObject } from './schema.js';

/** POST /users/@me/channels (open a DM), GET /users/@me/notes. */
export function privateChannelRoutes(rt: Runtime): AnyRoute[] {
  return [
    defineRoute<Record<string, never>, Record<string, never>, { recipient_id: string }>({
      method: 'post',
      path: '/users/@me/channels',
      access: 'user',
      summary: 'Open the DM channel with a user',
      description:
        'There is one DM channel per pair of users: the first call creates it (both users receive ' +
        '`CHANNEL_CREATE`), later calls by either user return the same channel. The answer is 200 both times. ' +
        'Refused while either user has blocked the other.',
      tags: ['Private channels'],
      body: createDmBody,
      responses: {
        200: { description: 'The DM channel (new or existing)', schema: privateChannelObject },
        400: { description: '`cannot_message_self`: use GET /users/@me/notes' },
        403: { description: '`cannot_message_user`: one of the two users blocked the other' },
        404: { description: 'Unknown user (or a deleted account)' },
      },
      handler: ({ auth, body }) => openDm(rt, auth.user.id, body.recipient_id),
    }),
    defineRoute({
      method: 'get',
      path: '/users/@me/notes',
      access: 'user',
      summary: 'The caller’s personal notes channel',
      description:
        'A `notes` channel only its owner sees (its only recipient), created on the first call; always the same one.',
      tags: ['Private channels'],
      responses: { 200: { description: 'The notes channel', schema: privateChannelObject } },
      handler: ({ auth }) => openNotes(rt, auth.user.id),
    }),
  ];
}

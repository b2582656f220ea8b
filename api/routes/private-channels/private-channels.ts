import Joi from 'joi';
import { openDm, openNotes } from '../../../shared/domain/private-channels/open.js';
import { pageBy, type PageQuery } from '../../../shared/pagination.js';
import { presentPrivateChannels } from '../../../shared/presenters/private-channel.js';
import type { Runtime } from '../../../shared/runtime.js';
import { badPageResponse, pageQuery } from '../common-schemas.js';
import { defineRoute, type AnyRoute } from '../route.js';
import { createDmBody, privateChannelObject } from './schema.js';

/** GET /users/@me/channels (list), POST /users/@me/channels (open a DM), GET /users/@me/notes. */
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
    defineRoute<Record<string, never>, PageQuery>({
      method: 'get',
      path: '/users/@me/channels',
      access: 'user',
      summary: 'The caller’s DM and notes channels',
      description:
        'The private channels the caller is in (READY lists them too). By channel id: newest first with ' +
        '`before` or with neither, oldest first with `after`; `limit` 1-100, default 50.',
      tags: ['Private channels'],
      query: pageQuery,
      responses: {
        200: { description: 'One page of private channels', schema: Joi.array().items(privateChannelObject) },
        400: badPageResponse,
      },
      handler: async ({ auth, query }) => {
        const { Channel, ChannelRecipient, User } = rt.models;
        const page = pageBy('channel_id', query);
        const mine = await ChannelRecipient.findAll({
          where: { user_id: auth.user.id, ...page.where },
          order: page.order,
          limit: page.limit,
        });
        const ids = mine.map((r) => r.channel_id);
        const [channels, recipients] = await Promise.all([
          Channel.findAll({ where: { id: ids } }),
          ChannelRecipient.findAll({ where: { channel_id: ids } }),
        ]);
        const users = new Map(
          (await User.findAll({ where: { id: [...new Set(recipients.map((r) => r.user_id))] } })).map((u) => [
            u.id,
            u,
          ]),
        );
        const byId = new Map(channels.map((c) => [c.id, c]));
        const inOrder = ids.flatMap((id) => byId.get(id) ?? []);
        return presentPrivateChannels(rt.config, inOrder, recipients, users, auth.user.id);
      },
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

import Joi from 'joi';
import type { Runtime } from '../../../shared/runtime.js';
import { ackNotification, ackNotifications } from '../../../shared/domain/notifications/ack.js';
import { listNotifications, type InboxQuery } from '../../notifications/inbox.js';
import { defineRoute, type AnyRoute } from '../route.js';
import { ackAllBody, inboxQuery, notificationObject, notificationParams } from './schema.js';

/** The caller's inbox of mentions and replies. */
export function notificationRoutes(rt: Runtime): AnyRoute[] {
  return [
    defineRoute<Record<string, never>, InboxQuery>({
      method: 'get',
      path: '/users/@me/notifications',
      access: 'user',
      summary: 'The caller’s mentions and replies',
      description:
        'Recorded when a message is stored: a `mention` when it mentions the caller (directly, through a ' +
        'role they hold, or @everyone/@here), else a `reply` when it replies to their message. Never for ' +
        'their own messages, channels they cannot see, or authors they blocked; system messages notify ' +
        'nobody. A `webhook_disabled` notification (no message: `channel_id`, `message_id`, `author_id` and ' +
        '`message` are null, `webhook` says which and why) tells the creator of an outgoing event webhook ' +
        'that it was disabled after failing deliveries. Each also arrives as NOTIFICATION_CREATE. Newest ' +
        'first; cursor pagination as everywhere.',
      tags: ['Notifications'],
      query: inboxQuery,
      responses: { 200: { description: 'Notifications', schema: Joi.array().items(notificationObject) } },
      handler: ({ auth, query }) => listNotifications(rt, auth.user.id, query),
    }),
    defineRoute<Record<string, never>, Record<string, never>, { before?: string }>({
      method: 'post',
      path: '/users/@me/notifications/ack',
      access: 'user',
      summary: 'Mark notifications read',
      description:
        'All of them, or those older than `before`. Acking a channel also marks its notifications read.',
      tags: ['Notifications'],
      body: ackAllBody,
      responses: {
        200: {
          description: 'How many were marked',
          schema: Joi.object({ count: Joi.number().integer().required() }),
        },
      },
      handler: ({ auth, body }) => ackNotifications(rt, auth.user.id, body),
    }),
    defineRoute<{ notification_id: string }>({
      method: 'post',
      path: '/users/@me/notifications/{notification_id}/ack',
      access: 'user',
      summary: 'Mark one notification read',
      tags: ['Notifications'],
      status: 204,
      params: notificationParams,
      responses: {
        204: { description: 'Marked read' },
        404: { description: '`unknown_notification`' },
      },
      handler: ({ auth, params }) => ackNotification(rt, auth.user.id, params.notification_id),
    }),
  ];
}

import Joi from 'joi';
import type { Row } from '../../../shared/db/models/index.js';
import { ApiError, NotFoundError } from '../../../shared/errors.js';
import { MAX_PINS_PER_CHANNEL } from '../../../shared/messages/limits.js';
import { isSystemMessage } from '../../../shared/messages/system-messages.js';
import { Permission, has } from '../../../shared/permissions/index.js';
import { presentMessages } from '../../../shared/presenters/message-reactions.js';
import { messageJobId } from '../../../shared/queues/index.js';
import type { Runtime } from '../../../shared/runtime.js';
import { messageAccess } from '../../messages/access.js';
import { runToggleCommand } from '../../messages/jobs.js';
import type { ApiServices } from '../../services.js';
import { defineRoute, type AnyRoute } from '../route.js';
import { channelParams, messageObject, pinParams } from './schema.js';
import { visibleContent } from '../../applications/message-content.js';

type MessageParams = { channel_id: string; message_id: string };

const tooManyPins = () =>
  new ApiError(400, 'too_many_pins', `A channel can have at most ${MAX_PINS_PER_CHANNEL} pinned messages`);

/** GET /channels/{id}/pins and PUT/DELETE /channels/{id}/pins/{message_id}. */
export function pinRoutes(rt: Runtime, services: ApiServices): AnyRoute[] {
  const { Message } = rt.models;

  /** The message, for a caller who may pin in its channel (PIN_MESSAGES or MANAGE_MESSAGES). */
  async function pinnable(params: MessageParams, userId: string): Promise<Row<'Message'>> {
    const access = await messageAccess(rt, params.channel_id, userId);
    const message = await Message.findOne({
      where: { id: params.message_id, channel_id: params.channel_id },
    });
    if (!message) throw new NotFoundError('message');
    if (
      !has(access.permissions, Permission.PIN_MESSAGES) &&
      !has(access.permissions, Permission.MANAGE_MESSAGES)
    ) {
      throw new ApiError(
        403,
        'missing_permission',
        'Missing permission: PIN_MESSAGES (or MANAGE_MESSAGES)',
        undefined,
        {
          permission: 'PIN_MESSAGES',
        },
      );
    }
    return message;
  }

  const pinCount = (channelId: string) => Message.count({ where: { channel_id: channelId, pinned: true } });

  return [
    defineRoute<{ channel_id: string }>({
      method: 'get',
      path: '/channels/{channel_id}/pins',
      access: 'user',
      summary: 'Pinned messages',
      description: `Newest pin first; at most ${MAX_PINS_PER_CHANNEL}. Needs READ_MESSAGE_HISTORY.`,
      tags: ['Pins'],
      params: channelParams,
      responses: {
        200: { description: 'The pinned messages', schema: Joi.array().items(messageObject) },
        404: { description: 'Unknown channel, or one the caller cannot see' },
      },
      handler: async ({ params, auth }) => {
        const { channel } = await messageAccess(
          rt,
          params.channel_id,
          auth.user.id,
          Permission.VIEW_CHANNEL | Permission.READ_MESSAGE_HISTORY,
        );
        const rows = await Message.findAll({
          where: { channel_id: params.channel_id, pinned: true },
          order: [
            ['pinned_at', 'DESC'],
            ['id', 'DESC'],
          ],
          limit: MAX_PINS_PER_CHANNEL,
        });
        return visibleContent(rt, auth, channel, await presentMessages(rt, rows, auth.user.id));
      },
    }),
    defineRoute<MessageParams>({
      method: 'put',
      path: '/channels/{channel_id}/pins/{message_id}',
      access: 'user',
      summary: 'Pin a message (PIN_MESSAGES or MANAGE_MESSAGES)',
      description:
        `A channel holds at most ${MAX_PINS_PER_CHANNEL} pins (400 \`too_many_pins\`); system messages cannot be ` +
        'pinned (400 `system_message`). Through the `messages` queue: MESSAGE_UPDATE (`pinned: true`) goes to the ' +
        'channel, then a `pin_added` system message (author: the caller, `reply_to`: the pinned message) arrives as ' +
        'MESSAGE_CREATE. Pinning a pinned message is a no-op (204, no event, no second notice).',
      tags: ['Pins'],
      params: pinParams,
      status: 204,
      responses: {
        204: { description: 'The message is pinned' },
        202: { description: 'Accepted; still being applied' },
        400: { description: '`too_many_pins`, or `system_message`' },
        403: { description: 'Missing PIN_MESSAGES' },
        404: { description: 'Unknown channel or message' },
      },
      handler: async ({ params, auth, res }) => {
        const message = await pinnable(params, auth.user.id);
        if (isSystemMessage(message.type)) {
          throw new ApiError(400, 'system_message', 'System messages cannot be pinned', {
            message_id: 'is a system message',
          });
        }
        if (message.pinned) return;
        if ((await pinCount(message.channel_id)) >= MAX_PINS_PER_CHANNEL) throw tooManyPins();
        const outcome = await runToggleCommand(rt, services, messageJobId('pin', message.id), {
          kind: 'pin',
          message_id: message.id,
          channel_id: message.channel_id,
          actor_id: auth.user.id,
          notice_id: rt.snowflake.next(),
        });
        if (!outcome.done) {
          res.status(202).end();
          return;
        }
        // The job's answer; when it finished before we could read it, the row tells the same.
        const pinned =
          outcome.result === undefined
            ? ((await Message.findByPk(message.id))?.pinned ?? null)
            : (outcome.result?.pinned ?? null);
        if (pinned === null) throw new NotFoundError('message');
        if (!pinned) throw tooManyPins();
      },
    }),
    defineRoute<MessageParams>({
      method: 'delete',
      path: '/channels/{channel_id}/pins/{message_id}',
      access: 'user',
      summary: 'Unpin a message (PIN_MESSAGES or MANAGE_MESSAGES)',
      description:
        'MESSAGE_UPDATE (`pinned: false`) goes to the channel; no system message. Unpinning a message that is ' +
        'not pinned is a no-op (204).',
      tags: ['Pins'],
      params: pinParams,
      status: 204,
      responses: {
        204: { description: 'The message is not pinned' },
        202: { description: 'Accepted; still being applied' },
        403: { description: 'Missing PIN_MESSAGES' },
        404: { description: 'Unknown channel or message' },
      },
      handler: async ({ params, auth, res }) => {
        const message = await pinnable(params, auth.user.id);
        if (!message.pinned) return;
        const outcome = await runToggleCommand(rt, services, messageJobId('unpin', message.id), {
          kind: 'unpin',
          message_id: message.id,
          channel_id: message.channel_id,
        });
        if (!outcome.done) res.status(202).end();
      },
    }),
  ];
}

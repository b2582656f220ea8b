import Joi from 'joi';
import type { Runtime } from '../../../shared/runtime.js';
import { ackMessage } from '../../../shared/domain/read-states/ack.js';
import { listReadStates, readStateIn } from '../../read-states/reads.js';
import { defineRoute, type AnyRoute } from '../route.js';
import { ackParams, readStateObject } from './schema.js';

/** Marking channels read, and reading one's read states. */
export function readStateRoutes(rt: Runtime): AnyRoute[] {
  return [
    defineRoute<{ channel_id: string; message_id: string }>({
      method: 'post',
      path: '/channels/{channel_id}/messages/{message_id}/ack',
      access: 'user',
      summary: 'Mark a channel read up to a message',
      description:
        'Read positions only move forward: acking an older message answers the current state and changes ' +
        'nothing. `mention_count` becomes the number of mentions of the caller after the message, and the ' +
        'caller’s notifications up to it are marked read. The caller’s other sessions receive MESSAGE_ACK ' +
        '`{channel_id, message_id, mention_count}`. Sending a message marks its channel read for its author.',
      tags: ['Read states'],
      params: ackParams,
      responses: {
        200: { description: 'The caller’s read state in the channel', schema: readStateObject },
        404: { description: '`unknown_channel` (or one the caller cannot see), `unknown_message`' },
      },
      handler: async ({ auth, params }) => {
        await ackMessage(rt, auth.user.id, params.channel_id, params.message_id);
        return readStateIn(rt, auth.user.id, params.channel_id);
      },
    }),
    defineRoute({
      method: 'get',
      path: '/users/@me/read-states',
      access: 'user',
      summary: 'The caller’s read states',
      description:
        'One entry per channel the caller can see that holds messages (text channels, DMs, notes, active ' +
        'threads), as in READY. `unread`: a message newer than `last_read_message_id` exists.',
      tags: ['Read states'],
      responses: { 200: { description: 'Read states', schema: Joi.array().items(readStateObject) } },
      handler: ({ auth }) => listReadStates(rt, auth.user.id),
    }),
  ];
}

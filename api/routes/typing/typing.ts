import Joi from 'joi';
import { startTyping } from '../../../shared/events/index.js';
import { Permission } from '../../../shared/permissions/index.js';
import type { Runtime } from '../../../shared/runtime.js';
import { messageAccessPrefetch, type MessageAccess } from '../../messages/access.js';
import { snowflake } from '../common-schemas.js';
import { defineRoute, type AnyRoute } from '../route.js';

/** POST /channels/{id}/typing: the REST twin of the gateway's `typing_start` command. */
export function typingRoutes(rt: Runtime): AnyRoute[] {
  return [
    defineRoute<{ channel_id: string }>({
      method: 'post',
      path: '/channels/{channel_id}/typing',
      access: 'user',
      summary: 'Announce typing',
      description:
        'Sends TYPING_START to the channel. Needs SEND_MESSAGES. Clients repeat it while the user keeps typing: ' +
        'a repeat within `gateway.typing_throttle_seconds` of the last broadcast per user and channel answers 204 ' +
        'too and is folded into that one (no second TYPING_START); every call counts against the rate limit.',
      tags: ['Messages'],
      status: 204,
      params: Joi.object({ channel_id: snowflake().required() }),
      responses: {
        204: { description: 'Announced' },
        403: { description: 'Missing SEND_MESSAGES' },
        404: { description: 'Unknown channel' },
      },
      // Repeated every few seconds while a user types: the permission read waits beside the limit.
      prefetch: messageAccessPrefetch(rt, Permission.VIEW_CHANNEL | Permission.SEND_MESSAGES),
      handler: async ({ auth, prefetched }) => {
        const access = await (prefetched as Promise<MessageAccess>);
        await startTyping(rt, auth.user.id, access.channel);
      },
    }),
  ];
}

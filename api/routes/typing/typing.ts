import Joi from 'joi';
import { startTyping } from '../../../shared/events/index.js';
import { Permission } from '../../../shared/permissions/index.js';
import type { Runtime } from '../../../shared/runtime.js';
import { messageAccess } from '../../messages/access.js';
import { snowflake } from '../common-schemas.js';
import { defineRoute, type AnyRoute, type PrefetchContext } from '../route.js';

/** POST /channels/{id}/typing: the REST twin of the gateway's `typing_start` command. */
export function typingRoutes(rt: Runtime): AnyRoute[] {
  /** The caller's standing in the channel (the route's prefetch): SEND_MESSAGES there. */
  const typingAccess = ({ params, auth }: PrefetchContext<{ channel_id: string }>) =>
    messageAccess(rt, params.channel_id, auth.user.id, Permission.VIEW_CHANNEL | Permission.SEND_MESSAGES);
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
      prefetch: typingAccess,
      handler: async ({ auth, prefetched }) => {
        const access = await (prefetched as ReturnType<typeof typingAccess>);
        await startTyping(rt, auth.user.id, access.channel);
      },
    }),
  ];
}

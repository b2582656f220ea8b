import Joi from 'joi';
import { startTyping } from '../../../shared/events/index.js';
import { RateLimitedError } from '../../../shared/errors.js';
import { Permission } from '../../../shared/permissions/index.js';
import type { Runtime } from '../../../shared/runtime.js';
import { messageAccess } from '../../messages/access.js';
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
        'Sends TYPING_START to the channel. Needs SEND_MESSAGES. At most once per `gateway.typing_throttle_seconds` ' +
        'per user and channel (429 with retry_after before that); clients repeat it while the user keeps typing.',
      tags: ['Messages'],
      status: 204,
      params: Joi.object({ channel_id: snowflake().required() }),
      responses: {
        204: { description: 'Announced' },
        403: { description: 'Missing SEND_MESSAGES' },
        404: { description: 'Unknown channel' },
        429: { description: 'Already announced within the throttle window' },
      },
      handler: async ({ params, auth }) => {
        const access = await messageAccess(
          rt,
          params.channel_id,
          auth.user.id,
          Permission.VIEW_CHANNEL | Permission.SEND_MESSAGES,
        );
        const wait = await startTyping(rt, auth.user.id, access.channel);
        if (wait !== null) throw new RateLimitedError(wait);
      },
    }),
  ];
}

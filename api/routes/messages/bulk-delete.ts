import crypto from 'node:crypto';
import { Permission } from '../../../shared/permissions/index.js';
import { messageJobId } from '../../../shared/queues/index.js';
import type { Runtime } from '../../../shared/runtime.js';
import { messageAccess } from '../../messages/access.js';
import { runMessageCommand } from '../../messages/jobs.js';
import type { ApiServices } from '../../services.js';
import { defineRoute, type AnyRoute } from '../route.js';
import { bulkDeleteBody, channelParams } from './schema.js';

/** The job id of a bulk delete: the channel and the set of ids, so a repeated request is one job. */
function bulkDeleteJobId(channelId: string, ids: string[]): string {
  const digest = crypto
    .createHash('sha256')
    .update([...ids].sort().join(','))
    .digest('base64url')
    .slice(0, 32);
  return messageJobId('bulk_delete', channelId, digest);
}

/** POST /channels/{channel_id}/messages/bulk-delete. */
export function bulkDeleteRoutes(rt: Runtime, services: ApiServices): AnyRoute[] {
  return [
    defineRoute<{ channel_id: string }, Record<string, never>, { messages: string[] }>({
      method: 'post',
      path: '/channels/{channel_id}/messages/bulk-delete',
      access: 'user',
      summary: 'Delete 2-100 messages at once (MANAGE_MESSAGES)',
      description:
        'Ids of messages that are not in this channel (or no longer exist) are ignored. Unlike Discord, messages ' +
        'of any age may be deleted: nothing in our storage makes old messages costlier to delete. One job, one ' +
        'DELETE: MESSAGE_DELETE_BULK `{ids, channel_id}` (only the ids that were deleted) goes to the channel; ' +
        'the messages’ reactions go with them. The same request repeated is a no-op.',
      tags: ['Messages'],
      params: channelParams,
      body: bulkDeleteBody,
      status: 204,
      responses: {
        204: { description: 'Deleted' },
        202: { description: 'Accepted; still being applied' },
        400: { description: '`messages` is not 2-100 distinct snowflakes' },
        403: { description: 'Missing MANAGE_MESSAGES' },
        404: { description: 'Unknown channel, or one the caller cannot see' },
      },
      handler: async ({ params, body, auth, res }) => {
        const { channel } = await messageAccess(
          rt,
          params.channel_id,
          auth.user.id,
          Permission.VIEW_CHANNEL | Permission.MANAGE_MESSAGES,
        );
        const outcome = await runMessageCommand(rt, services, bulkDeleteJobId(channel.id, body.messages), {
          kind: 'bulk_delete',
          channel_id: channel.id,
          message_ids: body.messages,
        });
        if (!outcome.done) res.status(202).end();
      },
    }),
  ];
}

import { rooms } from '../../shared/events/index.js';
import { queueOutgoingEvent } from '../../shared/integrations/outgoing-events.js';
import type { BulkDeleteJob, JobResult } from '../../shared/queues/index.js';
import type { Runtime } from '../../shared/runtime.js';
import { deleteMessagesWithEffects } from './message-effects.js';

/**
 * bulk_delete jobs of the `messages` queue: one DELETE for every listed message of the channel
 * (ids of other channels match nothing), with the same consequences as single deletes (unread
 * mentions, the channel's latest message, a thread's count), then one MESSAGE_DELETE_BULK with the
 * ids that were deleted. Their reactions go with them (foreign key cascade). A repeat deletes and
 * emits nothing.
 */
export function createBulkDeleteProcessor(rt: Runtime) {
  return async (job: BulkDeleteJob): Promise<JobResult<'messages'>> => {
    const deleted = await deleteMessagesWithEffects(rt, job.channel_id, job.message_ids);
    const ids = [...deleted].sort((a, b) => (BigInt(a) < BigInt(b) ? -1 : 1));
    if (ids.length > 0) {
      const event = { ids, channel_id: job.channel_id };
      await rt.events.dispatch([rooms.channel(job.channel_id)], 'MESSAGE_DELETE_BULK', event);
      await queueOutgoingEvent(rt, { type: 'MESSAGE_DELETE_BULK', channel_id: job.channel_id, data: event });
    }
    return null;
  };
}

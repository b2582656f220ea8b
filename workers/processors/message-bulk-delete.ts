import { announceDeleted, deleteMessages } from '../../shared/domain/messages/delete.js';
import type { BulkDeleteJob, JobResult } from '../../shared/queues/index.js';
import type { Runtime } from '../../shared/runtime.js';

/**
 * bulk_delete jobs of the `messages` queue: one DELETE for every listed message of the channel
 * (ids of other channels match nothing), with the same consequences as single deletes
 * (shared/domain/messages/delete.ts), then one MESSAGE_DELETE_BULK with the ids that were deleted.
 * Their reactions go with them (foreign key cascade). A repeat deletes and emits nothing.
 */
export function createBulkDeleteProcessor(rt: Runtime) {
  return async (job: BulkDeleteJob): Promise<JobResult<'messages'>> => {
    const ids = await deleteMessages(rt, job.channel_id, job.message_ids);
    if (ids.length > 0) await announceDeleted(rt, { channel_id: job.channel_id, ids }, 'bulk');
    return null;
  };
}

import { announceDeleted, deleteMessages } from '../../shared/domain/messages/delete.js';
import { rooms } from '../../shared/events/index.js';
import { runCommand } from '../../shared/outbox/index.js';
import type { BulkDeleteJob, JobResult } from '../../shared/queues/index.js';
import type { Runtime } from '../../shared/runtime.js';

/**
 * bulk_delete jobs of the `messages` queue: one DELETE for every listed message of the channel
 * (ids of other channels match nothing), with the same consequences as single deletes
 * (shared/domain/messages/delete.ts), with one MESSAGE_DELETE_BULK of the ids that were deleted in
 * the same command (shared/outbox). Their reactions go with them (foreign key cascade). A repeat
 * deletes and emits nothing.
 */
export function createBulkDeleteProcessor(rt: Runtime) {
  return async (job: BulkDeleteJob): Promise<JobResult<'messages'>> => {
    await runCommand(rt, rooms.channel(job.channel_id), async (transaction, fx) => {
      const ids = await deleteMessages(rt, job.channel_id, job.message_ids, transaction);
      if (ids.length > 0) announceDeleted(fx, { channel_id: job.channel_id, ids }, 'bulk');
    });
    return null;
  };
}

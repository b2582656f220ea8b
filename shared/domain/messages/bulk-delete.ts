import { announceDeleted, deleteMessages } from './delete.js';
import { rooms } from '../../events/index.js';
import { runCommand } from '../../outbox/index.js';
import type { BulkDeleteJob } from '../../queues/index.js';
import type { Runtime } from '../../runtime.js';

/**
 * A bulk delete (the `messages` queue's bulk_delete jobs; the API checked MANAGE_MESSAGES): one
 * DELETE for every listed message of the channel (ids of other channels match nothing), with the
 * same consequences as single deletes (delete.ts), with one MESSAGE_DELETE_BULK of the ids that
 * were deleted in the same command (shared/outbox). Their reactions go with them (foreign key
 * cascade). A repeat deletes and emits nothing. Returns the ids deleted, ascending.
 */
export function bulkDeleteMessages(rt: Runtime, job: BulkDeleteJob): Promise<string[]> {
  return runCommand(rt, rooms.channel(job.channel_id), async (transaction, fx) => {
    const ids = await deleteMessages(rt, job.channel_id, job.message_ids, transaction);
    if (ids.length > 0) announceDeleted(fx, { channel_id: job.channel_id, ids }, 'bulk');
    return ids;
  });
}

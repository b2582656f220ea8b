import { QueryTypes } from 'sequelize';
import { rooms } from '../../shared/events/index.js';
import type { BulkDeleteJob, JobResult } from '../../shared/queues/index.js';
import type { Runtime } from '../../shared/runtime.js';

/**
 * bulk_delete jobs of the `messages` queue: one DELETE for every listed message of the channel
 * (ids of other channels match nothing), then one MESSAGE_DELETE_BULK with the ids that were
 * deleted. Their reactions go with them (foreign key cascade). A repeat deletes and emits nothing.
 */
export function createBulkDeleteProcessor(rt: Runtime) {
  return async (job: BulkDeleteJob): Promise<JobResult<'messages'>> => {
    const deleted = await rt.sequelize.query<{ id: string }>(
      `DELETE FROM messages WHERE channel_id = $1 AND id = ANY($2::bigint[]) RETURNING id`,
      { bind: [job.channel_id, job.message_ids], type: QueryTypes.SELECT },
    );
    const ids = deleted.map((r) => r.id).sort((a, b) => (BigInt(a) < BigInt(b) ? -1 : 1));
    if (ids.length > 0) {
      await rt.events.dispatch([rooms.channel(job.channel_id)], 'MESSAGE_DELETE_BULK', {
        ids,
        channel_id: job.channel_id,
      });
    }
    return null;
  };
}

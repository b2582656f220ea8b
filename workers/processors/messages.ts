import type { Job } from 'bullmq';
import { rooms } from '../../shared/events/index.js';
import { presentMessage } from '../../shared/presenters/message.js';
import type { JobPayload, JobResult } from '../../shared/queues/index.js';
import type { Runtime } from '../../shared/runtime.js';
import { decodeSnowflake } from '../../shared/snowflake.js';

/**
 * The `messages` queue: persists a message in one transaction, then emits MESSAGE_CREATE.
 * Idempotent: a retried job finds the row already there, and emits it again (clients dedupe by id;
 * better twice than never, since the first attempt may have died between commit and emit).
 */
export function createMessagesProcessor(rt: Runtime) {
  const { Message } = rt.models;
  return async (job: Job<JobPayload<'messages'>>): Promise<JobResult<'messages'>> => {
    const { kind } = job.data;
    switch (kind) {
      case 'create': {
        const input = job.data.message;
        const row = await rt.sequelize.transaction(async (transaction) => {
          await Message.bulkCreate(
            [
              {
                id: input.id,
                channel_id: input.channel_id,
                author_id: input.author_id,
                content: input.content,
                nonce: input.nonce,
                type: input.type ?? 'default',
                created_at: new Date(decodeSnowflake(input.id).timestampMs),
              },
            ],
            { ignoreDuplicates: true, transaction },
          );
          return Message.findByPk(input.id, { transaction, rejectOnEmpty: true });
        });
        const message = presentMessage(row);
        await rt.events.dispatch([rooms.channel(message.channel_id)], 'MESSAGE_CREATE', message);
        return message;
      }
    }
  };
}

import type { Job } from 'bullmq';
import { QueryTypes } from 'sequelize';
import { rooms } from '../../shared/events/index.js';
import { presentMessage } from '../../shared/presenters/message.js';
import type { JobPayload, JobResult } from '../../shared/queues/index.js';
import type { Runtime } from '../../shared/runtime.js';
import { decodeSnowflake } from '../../shared/snowflake.js';

/**
 * The `messages` queue: persists a message (one statement, one transaction), then emits MESSAGE_CREATE.
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
        // One statement, so one round trip and its own transaction. A retry finds the row already
        // there (ON CONFLICT DO NOTHING returns nothing) and reads it instead.
        const inserted = await rt.sequelize.query(
          `INSERT INTO messages (id, channel_id, author_id, type, content, nonce, created_at)
           VALUES ($1, $2, $3, $4, $5, $6, $7)
           ON CONFLICT (id) DO NOTHING
           RETURNING *`,
          {
            bind: [
              input.id,
              input.channel_id,
              input.author_id,
              input.type ?? 'default',
              input.content,
              input.nonce,
              new Date(decodeSnowflake(input.id).timestampMs),
            ],
            type: QueryTypes.SELECT,
            model: Message,
            mapToModel: true,
          },
        );
        const row = inserted[0] ?? (await Message.findByPk(input.id, { rejectOnEmpty: true }));
        const message = presentMessage(row);
        await rt.events.dispatch([rooms.channel(message.channel_id)], 'MESSAGE_CREATE', message);
        return message;
      }
    }
  };
}

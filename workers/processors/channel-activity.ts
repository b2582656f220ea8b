import { QueryTypes } from 'sequelize';
import type { Row } from '../../shared/db/models/index.js';
import type { Runtime } from '../../shared/runtime.js';

/**
 * After a new message commits: its author has read their channel up to it (their mentions there
 * are cleared: writing in a channel means having seen it). Outside the message's transaction so
 * that one author's concurrent messages do not queue on their read-state row; it only moves
 * forward, so a retry or a late run changes nothing.
 */
export async function recordAuthorRead(rt: Runtime, message: Row<'Message'>): Promise<void> {
  await rt.sequelize.query(
    `INSERT INTO read_states (user_id, channel_id, last_read_message_id, mention_count, updated_at)
     VALUES ($1, $2, $3, 0, now())
     ON CONFLICT (user_id, channel_id) DO UPDATE
       SET last_read_message_id = $3, mention_count = 0, updated_at = now()
       WHERE read_states.last_read_message_id IS NULL OR read_states.last_read_message_id < $3`,
    { bind: [message.author_id, message.channel_id, message.id], type: QueryTypes.INSERT },
  );
}

import type { Transaction } from 'sequelize';
import { QueryTypes } from 'sequelize';
import type { Row } from '../../shared/db/models/index.js';
import type { Runtime } from '../../shared/runtime.js';

/**
 * In a new message's transaction: the channel's last_message_id moves forward (unread state
 * compares read positions with it), and the author has read their channel up to their own message
 * (their mentions there are cleared: writing in a channel means having seen it).
 */
export async function recordChannelActivity(
  rt: Runtime,
  message: Row<'Message'>,
  transaction: Transaction,
): Promise<void> {
  await rt.sequelize.query(
    `UPDATE channels SET last_message_id = $2
      WHERE id = $1 AND (last_message_id IS NULL OR last_message_id < $2)`,
    { bind: [message.channel_id, message.id], type: QueryTypes.UPDATE, transaction },
  );
  await rt.sequelize.query(
    `INSERT INTO read_states (user_id, channel_id, last_read_message_id, mention_count, updated_at)
     VALUES ($1, $2, $3, 0, now())
     ON CONFLICT (user_id, channel_id) DO UPDATE
       SET last_read_message_id = $3, mention_count = 0, updated_at = now()
       WHERE read_states.last_read_message_id IS NULL OR read_states.last_read_message_id < $3`,
    { bind: [message.author_id, message.channel_id, message.id], type: QueryTypes.INSERT, transaction },
  );
}

/** After messages are deleted: if the channel's newest was among them, the next newest takes its place. */
export async function forgetChannelActivity(
  rt: Runtime,
  channelId: string,
  messageIds: string[],
  transaction: Transaction,
): Promise<void> {
  await rt.sequelize.query(
    `UPDATE channels SET last_message_id = (SELECT max(id) FROM messages WHERE channel_id = $1)
      WHERE id = $1 AND last_message_id = ANY($2::bigint[])`,
    { bind: [channelId, messageIds], type: QueryTypes.UPDATE, transaction },
  );
}

import { QueryTypes } from 'sequelize';
import { ApiError, NotFoundError } from '../../errors.js';
import { rooms } from '../../events/index.js';
import { runCommand } from '../../outbox/index.js';
import { Permission } from '../../permissions/index.js';
import type { Runtime } from '../../runtime.js';
import { loadChannel } from '../access.js';

/** Channels that hold messages, and so read positions. */
const READABLE_CHANNEL_TYPES = new Set(['text', 'dm', 'notes', 'public_thread', 'private_thread']);

/**
 * `userId` has read `channelId` up to `messageId` (POST .../messages/{id}/ack): 404 when the channel
 * is unknown or invisible to them or the message is not in it, 400 for a channel without messages.
 * Read positions only move forward (an older ack changes nothing and sends nothing). mention_count
 * becomes the number of mentions of the user after the message (their mention notifications
 * there), and those up to it are marked read. The user's sessions receive MESSAGE_ACK
 * `{channel_id, message_id, mention_count}`.
 */
export async function ackMessage(
  rt: Runtime,
  userId: string,
  channelId: string,
  messageId: string,
): Promise<void> {
  const access = await loadChannel(rt, channelId, userId);
  if (access.policy) await access.policy.requireChannel(access.channel, Permission.VIEW_CHANNEL);
  if (!READABLE_CHANNEL_TYPES.has(access.channel.channel_type)) {
    throw new ApiError(
      400,
      'invalid_channel_type',
      `A ${access.channel.channel_type} channel has no messages`,
    );
  }
  if ((await rt.models.Message.count({ where: { id: messageId, channel_id: channelId } })) === 0) {
    throw new NotFoundError('message');
  }
  await runCommand(rt, rooms.user(userId), async (transaction, fx) => {
    // Lock the row first: a mention counted by the messages worker meanwhile either committed
    // before (the recount sees it) or waits for us (and adds itself after).
    await rt.sequelize.query(
      `INSERT INTO read_states (user_id, channel_id) VALUES ($1, $2) ON CONFLICT DO NOTHING`,
      { bind: [userId, channelId], type: QueryTypes.INSERT, transaction },
    );
    const [state] = await rt.sequelize.query<{ last_read_message_id: string | null }>(
      `SELECT last_read_message_id FROM read_states WHERE user_id = $1 AND channel_id = $2 FOR UPDATE`,
      { bind: [userId, channelId], type: QueryTypes.SELECT, transaction },
    );
    const last = state?.last_read_message_id;
    if (last !== null && last !== undefined && BigInt(last) >= BigInt(messageId)) return;
    const [updated] = await rt.sequelize.query<{ mention_count: number }>(
      `UPDATE read_states SET last_read_message_id = $3, updated_at = now(),
              mention_count = (SELECT count(*) FROM notifications
                                WHERE user_id = $1 AND channel_id = $2 AND type = 'mention' AND message_id > $3)
        WHERE user_id = $1 AND channel_id = $2
        RETURNING mention_count`,
      { bind: [userId, channelId, messageId], type: QueryTypes.SELECT, transaction },
    );
    await rt.sequelize.query(
      `UPDATE notifications SET read = true
        WHERE user_id = $1 AND channel_id = $2 AND message_id <= $3 AND NOT read`,
      { bind: [userId, channelId, messageId], type: QueryTypes.UPDATE, transaction },
    );
    fx.dispatch([rooms.user(userId)], 'MESSAGE_ACK', {
      channel_id: channelId,
      message_id: messageId,
      mention_count: Number(updated?.mention_count ?? 0),
    });
  });
}

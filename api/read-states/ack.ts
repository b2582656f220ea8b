import { QueryTypes } from 'sequelize';
import { NotFoundError } from '../../shared/errors.js';
import { rooms } from '../../shared/events/index.js';
import { runCommand } from '../../shared/outbox/index.js';
import { visibleChannels } from '../../shared/permissions/index.js';
import type { ReadStateObject } from '../../shared/presenters/read-state.js';
import { loadReadStates } from '../../shared/read-states.js';
import type { Runtime } from '../../shared/runtime.js';
import { messageAccess } from '../messages/access.js';

/**
 * POST /channels/{channel_id}/messages/{message_id}/ack: the caller has read the channel up to
 * that message. Read positions only move forward (an older ack changes nothing and sends
 * nothing). mention_count becomes the number of mentions of the caller after the message (their
 * mention notifications there), and those up to it are marked read. The caller's sessions
 * receive MESSAGE_ACK `{channel_id, message_id, mention_count}`.
 */
export async function ackMessage(
  rt: Runtime,
  userId: string,
  channelId: string,
  messageId: string,
): Promise<ReadStateObject> {
  await messageAccess(rt, channelId, userId);
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
  const [state] = await loadReadStates(rt, userId, [channelId], { archivedThreads: true });
  if (!state) throw new NotFoundError('channel');
  return state;
}

/** GET /users/@me/read-states: the caller's read state in every channel they can see (as READY). */
export async function listReadStates(rt: Runtime, userId: string): Promise<ReadStateObject[]> {
  const channels = await visibleChannels(rt, userId);
  return loadReadStates(
    rt,
    userId,
    channels.map((c) => c.id),
  );
}

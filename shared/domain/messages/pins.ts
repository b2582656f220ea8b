import { QueryTypes, type Transaction } from 'sequelize';
import type { Row } from '../../db/models/index.js';
import { rooms } from '../../events/index.js';
import { MAX_PINS_PER_CHANNEL } from '../../messages/limits.js';
import { systemMessageJob } from '../../messages/system-messages.js';
import { runCommand, type Effects } from '../../outbox/index.js';
import { presentStoredMessage } from '../../presenters/message-reactions.js';
import type { MessageObject } from '../../presenters/types.js';
import type { PinJob, UnpinJob } from '../../queues/index.js';
import type { Runtime } from '../../runtime.js';

/**
 * Pinning and unpinning (the `messages` queue's pin / unpin jobs; the API checked PIN_MESSAGES or
 * MANAGE_MESSAGES), each a command (shared/outbox): the change, the MESSAGE_UPDATE and (pins) the
 * notice's create job commit together. The result is the message (null when it is gone); a pin
 * that the per-channel limit refused comes back with `pinned: false`, which the API turns into
 * 400 `too_many_pins`. Pinning an already pinned message changes and emits nothing; neither does
 * a retry after a commit (its effects were committed).
 */

/** The channel's room and the server's outgoing webhooks get the message as it is now. */
async function announce(rt: Runtime, fx: Effects, message: Row<'Message'>, transaction: Transaction) {
  const object = await presentStoredMessage(rt, message, null, transaction);
  fx.dispatch([rooms.channel(message.channel_id)], 'MESSAGE_UPDATE', object);
  fx.outgoing({ type: 'MESSAGE_UPDATE', channel_id: message.channel_id, data: object });
  return object;
}

/** Pins a message, within MAX_PINS_PER_CHANNEL, and posts the `pin_added` notice (a pin job). */
export const pinMessage = (rt: Runtime, job: PinJob): Promise<MessageObject | null> =>
  runCommand(rt, rooms.channel(job.channel_id), async (transaction, fx) => {
    const { Message } = rt.models;
    // Pins of one channel are counted and set one at a time, so two pins racing for the last
    // free place cannot both take it. An advisory lock blocks nothing else on the channel.
    await rt.sequelize.query(`SELECT pg_advisory_xact_lock(hashtextextended('pins:' || $1::text, 0))`, {
      bind: [job.channel_id],
      type: QueryTypes.SELECT,
      transaction,
    });
    const message = await Message.findOne({
      where: { id: job.message_id, channel_id: job.channel_id },
      transaction,
    });
    if (!message) return null;
    const pins = message.pinned
      ? 0
      : await Message.count({ where: { channel_id: job.channel_id, pinned: true }, transaction });
    if (message.pinned || pins >= MAX_PINS_PER_CHANNEL) {
      return presentStoredMessage(rt, message, null, transaction);
    }
    await message.update({ pinned: true, pinned_at: new Date() }, { transaction });
    const object = await announce(rt, fx, message, transaction);
    // The notice's id was chosen by the API, so it is stored once however often queued.
    const notice = systemMessageJob(
      { channel_id: job.channel_id, type: 'pin_added', author_id: job.actor_id, reply_to: job.message_id },
      job.notice_id,
    );
    fx.job('messages', 'create', notice.data, notice.opts);
    return object;
  });

/** Unpins a message (an unpin job). */
export const unpinMessage = (rt: Runtime, job: UnpinJob): Promise<MessageObject | null> =>
  runCommand(rt, rooms.channel(job.channel_id), async (transaction, fx) => {
    const { Message } = rt.models;
    const [changed, rows] = await Message.update(
      { pinned: false, pinned_at: null },
      {
        where: { id: job.message_id, channel_id: job.channel_id, pinned: true },
        returning: true,
        transaction,
      },
    );
    const row =
      rows[0] ??
      (await Message.findOne({ where: { id: job.message_id, channel_id: job.channel_id }, transaction }));
    if (!row) return null;
    if (changed > 0) return announce(rt, fx, row, transaction);
    return presentStoredMessage(rt, row, null, transaction);
  });

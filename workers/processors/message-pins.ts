import { QueryTypes } from 'sequelize';
import { rooms } from '../../shared/events/index.js';
import { queueOutgoingEvent } from '../../shared/integrations/outgoing-events.js';
import { MAX_PINS_PER_CHANNEL } from '../../shared/messages/limits.js';
import { queueSystemMessage } from '../../shared/messages/system-messages.js';
import { presentStoredMessage } from '../../shared/presenters/message-reactions.js';
import type { JobResult, PinJob, UnpinJob } from '../../shared/queues/index.js';
import type { Runtime } from '../../shared/runtime.js';

/**
 * pin / unpin jobs of the `messages` queue. The result is the message (null when it is gone); a
 * pin that the per-channel limit refused comes back with `pinned: false`, which the API turns
 * into 400 `too_many_pins`. Pinning an already pinned message changes and emits nothing.
 */
export function createPinProcessor(rt: Runtime) {
  const { Message } = rt.models;

  async function pin(job: PinJob, retry: boolean): Promise<JobResult<'messages'>> {
    const outcome = await rt.sequelize.transaction(async (transaction) => {
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
      if (message.pinned) return { message, pinnedNow: false };
      const pins = await Message.count({ where: { channel_id: job.channel_id, pinned: true }, transaction });
      if (pins >= MAX_PINS_PER_CHANNEL) return { message, pinnedNow: false };
      await message.update({ pinned: true, pinned_at: new Date() }, { transaction });
      return { message, pinnedNow: true };
    });
    if (!outcome) return null;
    const { message, pinnedNow } = outcome;
    const object = await presentStoredMessage(rt, message, null);
    // A retry that finds the message pinned finishes what the first attempt may not have: the
    // event and the notice (whose id the API chose, so it is stored once however often queued).
    if (pinnedNow || (retry && message.pinned)) {
      await rt.events.dispatch([rooms.channel(job.channel_id)], 'MESSAGE_UPDATE', object);
      await queueOutgoingEvent(rt, { type: 'MESSAGE_UPDATE', channel_id: job.channel_id, data: object });
      await queueSystemMessage(
        rt,
        { channel_id: job.channel_id, type: 'pin_added', author_id: job.actor_id, reply_to: job.message_id },
        job.notice_id,
      );
    }
    return object;
  }

  async function unpin(job: UnpinJob, retry: boolean): Promise<JobResult<'messages'>> {
    const [changed, rows] = await Message.update(
      { pinned: false, pinned_at: null },
      { where: { id: job.message_id, channel_id: job.channel_id, pinned: true }, returning: true },
    );
    const row =
      rows[0] ?? (await Message.findOne({ where: { id: job.message_id, channel_id: job.channel_id } }));
    if (!row) return null;
    const object = await presentStoredMessage(rt, row, null);
    if (changed > 0 || (retry && !row.pinned)) {
      await rt.events.dispatch([rooms.channel(job.channel_id)], 'MESSAGE_UPDATE', object);
      await queueOutgoingEvent(rt, { type: 'MESSAGE_UPDATE', channel_id: job.channel_id, data: object });
    }
    return object;
  }

  return {
    pin,
    unpin,
  };
}

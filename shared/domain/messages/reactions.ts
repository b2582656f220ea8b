import { QueryTypes, type Transaction } from 'sequelize';
import { rooms } from '../../events/index.js';
import { runCommand, type Effects } from '../../outbox/index.js';
import { MAX_REACTION_EMOJI_PER_MESSAGE } from '../../messages/limits.js';
import { presentStoredMessage } from '../../presenters/message-reactions.js';
import type { MessageObject } from '../../presenters/types.js';
import type { ReactionJob } from '../../queues/index.js';
import type { Runtime } from '../../runtime.js';

/**
 * Adding and removing a reaction (the `messages` queue's reaction_add / reaction_remove jobs; the
 * API checked VIEW_CHANNEL and READ_MESSAGE_HISTORY, and ADD_REACTIONS into `may_add_new`). Each
 * is one conditional statement and its effects in one command (shared/outbox), so a repeat is a
 * no-op that emits nothing, and a retry after a commit emits nothing again either (the first
 * attempt's events are relayed even if it died right after its commit). The result is the message
 * with reactions as the reacting user sees them (the API reads whether the reaction is there from
 * it); null when the message is gone.
 */

async function result(
  rt: Runtime,
  job: ReactionJob,
  transaction: Transaction,
): Promise<MessageObject | null> {
  const row = await rt.models.Message.findOne({
    where: { id: job.message_id, channel_id: job.channel_id },
    transaction,
  });
  return row ? presentStoredMessage(rt, row, job.user_id, transaction) : null;
}

const event = (job: ReactionJob) => ({
  channel_id: job.channel_id,
  message_id: job.message_id,
  user_id: job.user_id,
  emoji: job.emoji,
});

/** The channel's room and the server's outgoing webhooks learn of the change. */
function announce(fx: Effects, job: ReactionJob): void {
  const t = job.kind === 'reaction_add' ? 'MESSAGE_REACTION_ADD' : 'MESSAGE_REACTION_REMOVE';
  fx.dispatch([rooms.channel(job.channel_id)], t, event(job));
  fx.outgoing({ type: t, channel_id: job.channel_id, data: event(job) });
}

/** Adds `job.user_id`'s reaction `job.emoji` (a reaction_add job). */
export const addReaction = (rt: Runtime, job: ReactionJob): Promise<MessageObject | null> =>
  runCommand(rt, rooms.channel(job.channel_id), async (transaction, fx) => {
    // The permission and the emoji limit are checked again here, in the insert itself: between
    // the API's check and this job, the last reaction of this emoji may have been removed.
    const inserted = await rt.sequelize.query(
      `INSERT INTO message_reactions (message_id, emoji, user_id)
         SELECT m.id, $2::varchar, $3::bigint FROM messages m
          WHERE m.id = $1::bigint AND m.channel_id = $4::bigint
            AND (EXISTS (SELECT 1 FROM message_reactions r WHERE r.message_id = m.id AND r.emoji = $2::varchar)
                 OR ($5::boolean AND (SELECT count(DISTINCT r.emoji) FROM message_reactions r
                                       WHERE r.message_id = m.id) < $6::int))
         ON CONFLICT DO NOTHING
         RETURNING message_id`,
      {
        bind: [
          job.message_id,
          job.emoji,
          job.user_id,
          job.channel_id,
          job.may_add_new ?? false,
          MAX_REACTION_EMOJI_PER_MESSAGE,
        ],
        type: QueryTypes.SELECT,
        transaction,
      },
    );
    if (inserted.length > 0) announce(fx, job);
    return result(rt, job, transaction);
  });

/** Removes `job.user_id`'s reaction `job.emoji` (a reaction_remove job). */
export const removeReaction = (rt: Runtime, job: ReactionJob): Promise<MessageObject | null> =>
  runCommand(rt, rooms.channel(job.channel_id), async (transaction, fx) => {
    const removed = await rt.sequelize.query(
      `DELETE FROM message_reactions r
          USING messages m
          WHERE r.message_id = $1 AND r.emoji = $2 AND r.user_id = $3
            AND m.id = r.message_id AND m.channel_id = $4
         RETURNING r.message_id`,
      {
        bind: [job.message_id, job.emoji, job.user_id, job.channel_id],
        type: QueryTypes.SELECT,
        transaction,
      },
    );
    const message = await result(rt, job, transaction);
    if (message && removed.length > 0) announce(fx, job);
    return message;
  });

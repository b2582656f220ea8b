import { QueryTypes } from 'sequelize';
import { rooms } from '../../shared/events/index.js';
import { queueOutgoingEvent } from '../../shared/integrations/outgoing-events.js';
import { MAX_REACTION_EMOJI_PER_MESSAGE } from '../../shared/messages/limits.js';
import { presentStoredMessage } from '../../shared/presenters/message-reactions.js';
import type { JobResult, ReactionJob } from '../../shared/queues/index.js';
import type { Runtime } from '../../shared/runtime.js';

/**
 * reaction_add / reaction_remove jobs of the `messages` queue. Each is one conditional statement,
 * so a repeat is a no-op that emits nothing; a retry (`retry`: an earlier attempt failed, perhaps
 * between its commit and its emit) emits again when the row is in the state it wants, as message
 * creates do: clients dedupe. The result is the message with reactions as the reacting user sees
 * them (the API reads whether the reaction is there from it); null when the message is gone.
 */
export function createReactionProcessor(rt: Runtime) {
  const { Message, MessageReaction } = rt.models;

  async function result(job: ReactionJob): Promise<JobResult<'messages'>> {
    const row = await Message.findOne({ where: { id: job.message_id, channel_id: job.channel_id } });
    return row ? presentStoredMessage(rt, row, job.user_id) : null;
  }

  const event = (job: ReactionJob) => ({
    channel_id: job.channel_id,
    message_id: job.message_id,
    user_id: job.user_id,
    emoji: job.emoji,
  });

  async function add(job: ReactionJob, retry: boolean): Promise<JobResult<'messages'>> {
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
      },
    );
    const present =
      inserted.length > 0 ||
      (retry &&
        (await MessageReaction.count({
          where: { message_id: job.message_id, emoji: job.emoji, user_id: job.user_id },
        })) > 0);
    if (present) {
      await rt.events.dispatch([rooms.channel(job.channel_id)], 'MESSAGE_REACTION_ADD', event(job));
      await queueOutgoingEvent(rt, {
        type: 'MESSAGE_REACTION_ADD',
        channel_id: job.channel_id,
        data: event(job),
      });
    }
    return result(job);
  }

  async function remove(job: ReactionJob, retry: boolean): Promise<JobResult<'messages'>> {
    const removed = await rt.sequelize.query(
      `DELETE FROM message_reactions r
        USING messages m
        WHERE r.message_id = $1 AND r.emoji = $2 AND r.user_id = $3
          AND m.id = r.message_id AND m.channel_id = $4
       RETURNING r.message_id`,
      { bind: [job.message_id, job.emoji, job.user_id, job.channel_id], type: QueryTypes.SELECT },
    );
    const gone =
      removed.length > 0 ||
      (retry &&
        (await MessageReaction.count({
          where: { message_id: job.message_id, emoji: job.emoji, user_id: job.user_id },
        })) === 0);
    const message = await result(job);
    if (message && gone) {
      await rt.events.dispatch([rooms.channel(job.channel_id)], 'MESSAGE_REACTION_REMOVE', event(job));
      await queueOutgoingEvent(rt, {
        type: 'MESSAGE_REACTION_REMOVE',
        channel_id: job.channel_id,
        data: event(job),
      });
    }
    return message;
  }

  return (job: ReactionJob, retry: boolean): Promise<JobResult<'messages'>> =>
    job.kind === 'reaction_add' ? add(job, retry) : remove(job, retry);
}

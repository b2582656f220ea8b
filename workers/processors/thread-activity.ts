import type { Transaction } from 'sequelize';
import { isThreadType, type Row } from '../../shared/db/models/index.js';
import { rooms } from '../../shared/events/index.js';
import { runCommand, type Effects } from '../../shared/outbox/index.js';
import { presentStoredMessage } from '../../shared/presenters/message-reactions.js';
import { threadAudienceRoom } from '../../shared/permissions/viewers.js';
import { presentThread } from '../../shared/presenters/thread.js';
import type { JobResult, SetThreadJob } from '../../shared/queues/index.js';
import type { Runtime } from '../../shared/runtime.js';

/** What a message did to the thread it was posted in. */
export interface ThreadActivity {
  thread: Row<'ThreadMetadata'>;
  /** The thread was archived and this message woke it up. */
  unarchived: boolean;
  /** The author was not a member yet: posting joined them. */
  joined: boolean;
}

/** Message types whose author takes part in the thread (a system notice joins nobody). */
const AUTHORED_TYPES = new Set(['default', 'reply']);

/**
 * In a new message's transaction, when the channel is a thread: count the message, keep the
 * thread active (an archived thread unarchives: the API already refused a locked one to whoever
 * may not manage threads), and join the author.
 */
export async function recordThreadActivity(
  rt: Runtime,
  channel: Row<'Channel'>,
  message: Row<'Message'>,
  transaction: Transaction,
): Promise<ThreadActivity | null> {
  if (!isThreadType(channel.channel_type)) return null;
  const thread = await rt.models.ThreadMetadata.findByPk(channel.id, {
    transaction,
    lock: transaction.LOCK.UPDATE,
  });
  if (!thread) return null;
  let joined = false;
  if (AUTHORED_TYPES.has(message.type)) {
    const [, created] = await rt.models.ThreadMember.findOrCreate({
      where: { thread_id: channel.id, user_id: message.author_id },
      transaction,
    });
    joined = created;
  }
  const unarchived = thread.archived;
  thread.set({
    message_count: thread.message_count + 1,
    member_count: thread.member_count + (joined ? 1 : 0),
    last_activity_at: new Date(),
    archived: false,
    archived_at: null,
  });
  await thread.save({ transaction });
  return { thread, unarchived, joined };
}

/** In the message's command: the thread's viewers learn of its waking up and of its new member. */
export function threadActivityEffects(
  fx: Effects,
  channel: Row<'Channel'>,
  activity: ThreadActivity | null,
  authorId: string,
): void {
  if (!activity || channel.server_id === null) return;
  const audience = threadAudienceRoom(channel);
  if (activity.unarchived) {
    fx.dispatch([audience], 'THREAD_UPDATE', presentThread(channel, activity.thread));
  }
  if (activity.joined) {
    fx.dispatch([audience], 'THREAD_MEMBERS_UPDATE', {
      id: channel.id,
      server_id: channel.server_id,
      member_count: activity.thread.member_count,
      added_member_ids: [authorId],
    });
  }
}

/** The `set_thread` command: a message now starts `thread_id` (or no longer does); MESSAGE_UPDATE. */
export function setMessageThread(rt: Runtime, job: SetThreadJob): Promise<JobResult<'messages'>> {
  return runCommand(rt, rooms.channel(job.channel_id), async (transaction, fx) => {
    const [, rows] = await rt.models.Message.update(
      { thread_id: job.thread_id },
      { where: { id: job.message_id, channel_id: job.channel_id }, returning: true, transaction },
    );
    const row = rows[0];
    if (!row) return null;
    // With its reactions: an update carries the whole message, and clients replace theirs with it.
    const message = await presentStoredMessage(rt, row, null, transaction);
    fx.dispatch([rooms.channel(message.channel_id)], 'MESSAGE_UPDATE', message);
    fx.outgoing({ type: 'MESSAGE_UPDATE', channel_id: message.channel_id, data: message });
    return message;
  });
}

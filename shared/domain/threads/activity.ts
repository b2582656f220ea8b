import type { Transaction } from 'sequelize';
import { isThreadType, type Row } from '../../db/models/index.js';
import type { Effects } from '../../outbox/index.js';
import { threadAudienceRoom } from '../../permissions/viewers.js';
import { presentThread } from '../../presenters/thread.js';
import type { Runtime } from '../../runtime.js';

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

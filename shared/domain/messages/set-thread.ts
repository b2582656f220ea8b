import { rooms } from '../../events/index.js';
import { runCommand } from '../../outbox/index.js';
import { presentStoredMessage } from '../../presenters/message-reactions.js';
import type { JobResult, SetThreadJob } from '../../queues/index.js';
import type { Runtime } from '../../runtime.js';

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

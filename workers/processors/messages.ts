import type { Job } from 'bullmq';
import { bulkDeleteMessages } from '../../shared/domain/messages/bulk-delete.js';
import { messageCreator } from '../../shared/domain/messages/create.js';
import { deleteMessage } from '../../shared/domain/messages/delete.js';
import { editMessage } from '../../shared/domain/messages/edit.js';
import { pinMessage, unpinMessage } from '../../shared/domain/messages/pins.js';
import { addReaction, removeReaction } from '../../shared/domain/messages/reactions.js';
import { setMessageThread } from '../../shared/domain/messages/set-thread.js';
import { archiveIdleThreads } from '../../shared/domain/threads/archive.js';
import type { JobPayload, JobResult } from '../../shared/queues/index.js';
import type { Runtime } from '../../shared/runtime.js';

/**
 * The `messages` queue: every write to messages goes through here (create, edit, delete,
 * reactions, pins, bulk delete, a thread's starter, the idle-thread sweep). Each kind is a
 * command of shared/domain/messages (threads: shared/domain/threads), which holds its rule, its
 * transaction and its effects; this only maps a job to its command and the command's answer to
 * the job's result (the message, or null).
 */
export function createMessagesProcessor(rt: Runtime) {
  // One per process: it holds the batcher of this process's creates.
  const create = messageCreator(rt);

  return async (job: Job<JobPayload<'messages'>>): Promise<JobResult<'messages'>> => {
    const data = job.data;
    switch (data.kind) {
      case 'create':
        return create(data);
      case 'update':
        return editMessage(rt, data);
      case 'delete':
        return deleteMessage(rt, data).then(() => null);
      case 'set_thread':
        return setMessageThread(rt, data);
      case 'archive_idle_threads':
        return archiveIdleThreads(rt).then(() => null);
      case 'reaction_add':
        return addReaction(rt, data);
      case 'reaction_remove':
        return removeReaction(rt, data);
      case 'pin':
        return pinMessage(rt, data);
      case 'unpin':
        return unpinMessage(rt, data);
      case 'bulk_delete':
        return bulkDeleteMessages(rt, data).then(() => null);
    }
  };
}

import type { StartedThread } from '../../shared/domain/threads/start.js';
import type { Runtime } from '../../shared/runtime.js';
import { awaitFollowUps } from '../messages/jobs.js';
import type { ApiServices } from '../services.js';

/**
 * The response to starting a thread waits until the starter shows its `thread_id` and the parent
 * its `thread_created` notice (the jobs the command queued), so the client's next read sees both.
 * The thread exists whatever happens to those jobs (awaitFollowUps logs a failure).
 */
export async function awaitThreadFollowUps(
  rt: Runtime,
  services: ApiServices,
  started: StartedThread,
): Promise<void> {
  await awaitFollowUps(rt, services, [started.starterJobId, started.noticeJobId], {
    thread: started.thread.id,
  });
}

import type { StartedThread } from '../../shared/domain/threads/start.js';
import type { Runtime } from '../../shared/runtime.js';
import { awaitMessageCommand } from '../messages/jobs.js';
import type { ApiServices } from '../services.js';

/**
 * The response to starting a thread from a message waits until the starter shows its `thread_id`
 * (the job the command queued), so the client's next read sees the link. The thread exists
 * whatever happens to that job, so its failure is logged rather than failing the request.
 */
export async function awaitStarterLink(
  rt: Runtime,
  services: ApiServices,
  started: StartedThread,
): Promise<void> {
  if (!started.starterJobId) return;
  try {
    await awaitMessageCommand(rt, services, started.starterJobId);
  } catch (err) {
    rt.logger.warn({ err: (err as Error).message, thread: started.thread.id }, 'could not link a starter');
  }
}

import { Job } from 'bullmq';
import { ServiceUnavailableError } from '../../shared/errors.js';
import type { JobResult, MessageJob } from '../../shared/queues/index.js';
import type { Runtime } from '../../shared/runtime.js';
import type { ApiServices } from '../services.js';

/** The outcome of a message command: done with its result, or still queued after the wait. */
export type CommandOutcome = { done: true; result: JobResult<'messages'> } | { done: false };

/**
 * Queues a message command under `jobId` (a repeat of the same id is a no-op) and waits, bounded by
 * queues.wait_timeout_ms, for the worker's result. Redis down: 503 at once (nothing was accepted).
 * A job that failed for good rethrows its reason.
 */
export async function runMessageCommand(
  rt: Runtime,
  services: ApiServices,
  jobId: string,
  data: MessageJob,
): Promise<CommandOutcome> {
  let job: Job;
  try {
    job = await rt.queues.messages.add(data.kind, data, { jobId });
  } catch (err) {
    rt.logger.warn({ err: (err as Error).message }, 'could not queue a message command');
    throw new ServiceUnavailableError('Messages are unavailable right now, try again');
  }
  return waitFor(rt, services, job);
}

/** The outcome of a toggle command; `result` is undefined when the job finished before we could read it. */
export type ToggleOutcome = CommandOutcome | { done: true; result: undefined };

/**
 * Queues a toggle command (a reaction, a pin) under `jobId`, derived from its subject, and waits
 * like runMessageCommand. The job is removed once it completes, so its id dedupes only a command
 * still in flight: a later repeat runs again (the worker makes it a no-op), and toggling back and
 * forth is never swallowed by the completed job of an earlier toggle. Failed jobs are kept.
 */
export async function runToggleCommand(
  rt: Runtime,
  services: ApiServices,
  jobId: string,
  data: MessageJob,
): Promise<ToggleOutcome> {
  let job: Job;
  try {
    job = await rt.queues.messages.add(data.kind, data, { jobId, removeOnComplete: true });
  } catch (err) {
    rt.logger.warn({ err: (err as Error).message }, 'could not queue a message command');
    throw new ServiceUnavailableError('Messages are unavailable right now, try again');
  }
  try {
    return await waitFor(rt, services, job);
  } catch (err) {
    // Completed and removed before our listener saw it (failed jobs are kept): it is done.
    if (!(await Job.fromId(rt.queues.messages, jobId))) return { done: true, result: undefined };
    throw err;
  }
}

/** Waits for an already queued command (a duplicate request reuses the first one's job). */
export async function awaitMessageCommand(
  rt: Runtime,
  services: ApiServices,
  jobId: string,
): Promise<CommandOutcome | null> {
  const job = await Job.fromId(rt.queues.messages, jobId);
  return job ? waitFor(rt, services, job) : null;
}

async function waitFor(rt: Runtime, services: ApiServices, job: Job): Promise<CommandOutcome> {
  try {
    const result = (await job.waitUntilFinished(
      services.queueEvents.events.messages,
      rt.config.queues.wait_timeout_ms,
    )) as JobResult<'messages'>;
    return { done: true, result };
  } catch (err) {
    if (/timed out/i.test((err as Error).message)) return { done: false };
    throw err;
  }
}

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

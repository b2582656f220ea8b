import type { EventEmitter } from 'node:events';
import { Job, type QueueEvents } from 'bullmq';
import { ServiceUnavailableError } from '../../shared/errors.js';
import {
  isUnfinishedWait,
  QUEUE_CLOSING,
  type JobResult,
  type MessageJob,
} from '../../shared/queues/index.js';
import type { Runtime } from '../../shared/runtime.js';
import { phase } from '../middleware/server-timing.js';
import type { ApiServices } from '../services.js';

/** The outcome of a message command: done with its result, or still queued after the wait. */
export type CommandOutcome = { done: true; result: JobResult<'messages'> } | { done: false };

/**
 * Queues a message command under `jobId` (a repeat of the same id is a no-op) and waits, bounded by
 * `waitMs` (default queues.wait_timeout_ms), for the worker's result. Redis down: 503 at once
 * (nothing was accepted). A job that failed for good rethrows its reason.
 */
export async function runMessageCommand(
  rt: Runtime,
  services: ApiServices,
  jobId: string,
  data: MessageJob,
  options: { fresh?: boolean; waitMs?: number } = {},
): Promise<CommandOutcome> {
  const events = services.queueEvents.events.messages;
  const waitMs = options.waitMs ?? rt.config.queues.wait_timeout_ms;
  // A fresh id (a new snowflake in it) is never a repeat: listen first, and no poll is needed.
  const early = options.fresh ? listenFirst(events, jobId, waitMs) : null;
  let job: Job;
  try {
    job = await rt.queues.messages.add(data.kind, data, { jobId });
    phase('queue');
  } catch (err) {
    early?.cancel();
    rt.logger.warn({ err: (err as Error).message }, 'could not queue a message command');
    throw new ServiceUnavailableError('Messages are unavailable right now, try again');
  }
  const outcome = await (early ? outcomeOf(early.finished) : waitFor(services, job, waitMs));
  phase('job');
  return outcome;
}

/** QueueEvents whose reading loop has delivered an event, so it reads on from a known stream id. */
const reading = new WeakSet<QueueEvents>();
const watched = new WeakSet<QueueEvents>();

/**
 * Waits for the completed or failed event of `jobId` (its result, or its failure as an Error), or
 * `ttl` ms, with the listeners registered before the job is added: an event of the job then cannot
 * pass unseen, and BullMQ's waitUntilFinished's poll of the job (one more Redis round trip per
 * command, for jobs that may have finished before their listener) is not needed. Only once the
 * QueueEvents has delivered an event (its first read starts at the stream's end, wherever that is
 * by then): until then null, and the caller waits the BullMQ way.
 */
export function listenFirst(
  events: QueueEvents,
  jobId: string,
  ttl: number,
): { finished: Promise<unknown>; cancel(): void } | null {
  if (!reading.has(events)) {
    if (!watched.has(events)) {
      watched.add(events);
      events.once('added', () => reading.add(events));
    }
    return null;
  }
  // Per-job event names are outside QueueEvents' typed listener map.
  const emitter = events as unknown as EventEmitter;
  let cancel = () => undefined as void;
  const finished = new Promise<unknown>((resolve, reject) => {
    const completed = `completed:${jobId}`;
    const failed = `failed:${jobId}`;
    const onCompleted = (args: { returnvalue: unknown }) => {
      cancel();
      resolve(args.returnvalue);
    };
    const onFailed = (args: { failedReason?: string }) => {
      cancel();
      reject(new Error(args.failedReason || 'job failed'));
    };
    // The events closing (shutdown) ends the wait at once, as BullMQ's does on its queue's.
    const onClosing = () => onFailed({ failedReason: QUEUE_CLOSING });
    const timer = setTimeout(
      () => onFailed({ failedReason: `Job wait timed out after ${ttl}ms (id=${jobId})` }),
      ttl,
    );
    // A wait never keeps a closing process up.
    timer.unref();
    cancel = () => {
      clearTimeout(timer);
      emitter.removeListener(completed, onCompleted);
      emitter.removeListener(failed, onFailed);
      emitter.removeListener('closing', onClosing);
    };
    emitter.on(completed, onCompleted);
    emitter.on(failed, onFailed);
    emitter.once('closing', onClosing);
  });
  return { finished, cancel: () => cancel() };
}

/**
 * A wait's result as a CommandOutcome: a timeout, or the queue closing (shutdown) first, is
 * `done: false`, a failure rethrown.
 */
export async function outcomeOf<R = JobResult<'messages'>>(
  finished: Promise<unknown>,
): Promise<{ done: true; result: R } | { done: false }> {
  try {
    return { done: true, result: (await finished) as R };
  } catch (err) {
    if (isUnfinishedWait(err)) return { done: false };
    throw err;
  }
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
    return await waitFor(services, job, rt.config.queues.wait_timeout_ms);
  } catch (err) {
    // Completed and removed before our listener saw it (failed jobs are kept): it is done.
    if (!(await Job.fromId(rt.queues.messages, jobId))) return { done: true, result: undefined };
    throw err;
  }
}

/**
 * Waits (up to `waitMs`, default queues.wait_timeout_ms) for an already queued command (a
 * duplicate request reuses the first one's job); null when there is no such job.
 */
export async function awaitMessageCommand(
  rt: Runtime,
  services: ApiServices,
  jobId: string,
  waitMs = rt.config.queues.wait_timeout_ms,
): Promise<CommandOutcome | null> {
  const job = await Job.fromId(rt.queues.messages, jobId);
  return job ? waitFor(services, job, waitMs) : null;
}

/** How long whether the messages queue has workers is taken as known. */
const WORKERS_KNOWN_MS = 5000;
const workersSeen = new WeakMap<Runtime, { at: number; up: Promise<boolean> }>();

/**
 * Whether some workers process consumes the messages queue, as seen within WORKERS_KNOWN_MS: one
 * CLIENT LIST (BullMQ's worker count) per API process that often, not one per request.
 */
function messageWorkersUp(rt: Runtime): Promise<boolean> {
  const seen = workersSeen.get(rt);
  if (seen && Date.now() - seen.at < WORKERS_KNOWN_MS) return seen.up;
  const up = rt.queues.messages.getWorkersCount().then(
    (count) => count > 0,
    () => false,
  );
  workersSeen.set(rt, { at: Date.now(), up });
  return up;
}

/**
 * Waits (bounded like awaitMessageCommand) for message jobs a finished command queued after its
 * commit (a system notice, a starter's thread link), so the caller's next read sees them, as it
 * sees the command's own rows. The command is done whatever happens to them: a failure or a job
 * still queued after the wait is logged (`what` says whose), never the request's error. While no
 * workers process consumes the queue nothing is waited for: the jobs would not run within the
 * wait, and the request would only stall for it.
 */
export async function awaitFollowUps(
  rt: Runtime,
  services: ApiServices,
  jobIds: (string | null)[],
  what: Record<string, unknown>,
): Promise<void> {
  if (!jobIds.some(Boolean) || !(await messageWorkersUp(rt))) return;
  await Promise.all(
    jobIds.map(async (jobId) => {
      if (!jobId) return;
      try {
        const outcome = await awaitMessageCommand(rt, services, jobId);
        if (outcome && !outcome.done)
          rt.logger.warn({ ...what, job: jobId }, 'follow-up message job still queued');
      } catch (err) {
        rt.logger.warn({ ...what, job: jobId, err: (err as Error).message }, 'follow-up message job failed');
      }
    }),
  );
}

function waitFor(services: ApiServices, job: Job, waitMs: number): Promise<CommandOutcome> {
  return outcomeOf(job.waitUntilFinished(services.queueEvents.events.messages, waitMs));
}

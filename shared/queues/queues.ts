import type { EventEmitter } from 'node:events';
import { Queue, QueueEvents, type DefaultJobOptions, type QueueBase } from 'bullmq';
import type { Redis } from 'ioredis';
import type { Config } from '../config/index.js';
import type { Logger } from '../logger.js';
import { createRedis } from '../redis.js';
import { QUEUE_NAMES, type QueueName } from './names.js';
import type { JobPayloads, JobResults } from './payloads.js';

/** A queue whose jobs and results are typed by its name. */
export type TypedQueue<Q extends QueueName> = Queue<JobPayloads[Q], JobResults[Q], string>;
export type QueueSet = { [Q in QueueName]: TypedQueue<Q> };

/** BullMQ key prefix for this instance, inside the configured Redis key prefix. */
export function bullPrefix(config: Pick<Config, 'redis'>): string {
  return `${config.redis.key_prefix}:bull`;
}

/** Retries with exponential backoff, and bounded completed/failed sets (the failed set is the dead letter). */
export function defaultJobOptions(config: Pick<Config, 'queues'>): DefaultJobOptions {
  return {
    attempts: config.queues.attempts,
    backoff: { type: 'exponential', delay: config.queues.backoff_ms },
    removeOnComplete: { count: config.queues.keep_completed },
    removeOnFail: { count: config.queues.keep_failed },
  };
}

/** One Queue per name on a shared fail-fast connection (see shared/redis.ts, purpose `command`). */
export function createQueues(
  config: Pick<Config, 'redis' | 'queues'>,
  connection: Redis,
  onError: (err: Error, queue: QueueName) => void,
): QueueSet {
  const prefix = bullPrefix(config);
  const entries = QUEUE_NAMES.map((name) => {
    const queue = new Queue(name, { connection, prefix, defaultJobOptions: defaultJobOptions(config) });
    // An unhandled 'error' event would crash the process; Redis outages are reported by health.
    queue.on('error', (err) => onError(err, name));
    return [name, queue];
  });
  return Object.fromEntries(entries) as QueueSet;
}

/**
 * What a wait on a job (job.waitUntilFinished, listenFirst) rejects with when its queue, or the
 * QueueEvents it listens on, closes before the job finishes.
 */
export const QUEUE_CLOSING = 'closing queue';

/**
 * QueueEvents for every queue, and a close that ends the waits on them ('closing', as
 * closeQueues does for queues) and drops their connections.
 */
export interface QueueEventSet {
  events: Record<QueueName, QueueEvents>;
  close(): Promise<void>;
}

/**
 * QueueEvents per queue, used to wait for a job's result. Each blocks on XREAD, so each gets a
 * connection of its own with `maxRetriesPerRequest: null`; BullMQ does not close connections it
 * was given, so `close` does.
 */
export function createQueueEvents(config: Pick<Config, 'redis'>, logger: Logger): QueueEventSet {
  const prefix = bullPrefix(config);
  const connections: Redis[] = [];
  const events = Object.fromEntries(
    QUEUE_NAMES.map((name) => {
      const connection = createRedis(config, 'worker', logger);
      connections.push(connection);
      return [name, new QueueEvents(name, { connection, prefix })];
    }),
  ) as Record<QueueName, QueueEvents>;
  return {
    events,
    async close() {
      await Promise.all(Object.values(events).map(closeEndingWaits));
      for (const c of connections) c.disconnect();
    },
  };
}

/**
 * Closes every queue, each after emitting 'closing': BullMQ's job.waitUntilFinished gives up on
 * that event (rejecting with QUEUE_CLOSING, its ttl timer cleared), but only a Worker emits it.
 * Without it a request still waiting for its command (up to queues.send_wait_ms) kept that timer
 * running after the queue closed, and with it the process.
 */
export async function closeQueues(queues: Record<string, QueueBase>): Promise<void> {
  await Promise.all(Object.values(queues).map(closeEndingWaits));
}

/** Emits 'closing' on a queue or QueueEvents (the waits on it end) and closes it. */
function closeEndingWaits(target: QueueBase): Promise<void> {
  // Through EventEmitter's untyped emit: QueueEvents' typed listener map has no 'closing'.
  (target as EventEmitter).emit('closing', QUEUE_CLOSING);
  return target.close();
}

/**
 * Whether a job wait's error means only that the wait ended before the job did (its ttl passed, or
 * its queue closed): the job is still queued, not failed.
 */
export function isUnfinishedWait(err: unknown): boolean {
  const message = err instanceof Error ? err.message : String(err);
  return /timed out/i.test(message) || message === QUEUE_CLOSING;
}

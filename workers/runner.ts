import { Worker, type Job } from 'bullmq';
import { startOutboxRelay } from '../shared/outbox/index.js';
import { bullPrefix, QUEUE_NAMES } from '../shared/queues/index.js';
import { createRedis } from '../shared/redis.js';
import type { Runtime } from '../shared/runtime.js';
import { createProcessors } from './processors/index.js';
import { scheduleUploadSweep } from './processors/media.js';
import { scheduleThreadArchiving } from './processors/thread-archive.js';
import { scheduleDeliveryPrune } from './processors/webhooks.js';

/** Running workers, one per queue. */
export interface WorkerPool {
  workers: Worker[];
  close(): Promise<void>;
}

/** Starts one BullMQ Worker per queue with the configured concurrency. */
export function startWorkers(rt: Runtime): WorkerPool {
  const connection = createRedis(rt.config, 'worker', rt.logger);
  const processors = createProcessors(rt);
  const prefix = bullPrefix(rt.config);
  const workers = QUEUE_NAMES.map((name) => {
    // Each processor is typed by its own queue; BullMQ's Worker takes one untyped job shape.
    const processor = processors[name] as (job: Job) => Promise<unknown>;
    if (typeof processor !== 'function') throw new Error(`queue ${name} has no processor`);
    const worker = new Worker(name, processor, {
      connection,
      prefix,
      concurrency: rt.config.queues.concurrency[name],
      lockDuration: rt.config.queues.lock_ms,
      stalledInterval: rt.config.queues.stalled_interval_ms,
    });
    worker.on('completed', (job) => {
      rt.metrics.jobs.inc({ queue: name, result: 'completed' });
      if (job.processedOn && job.finishedOn) {
        rt.metrics.jobDuration.observe({ queue: name }, (job.finishedOn - job.processedOn) / 1000);
      }
    });
    worker.on('failed', (job, err) => {
      rt.metrics.jobs.inc({ queue: name, result: 'failed' });
      rt.logger.warn(
        { queue: name, job: job?.id, attempt: job?.attemptsMade, err: err.message },
        'job failed',
      );
    });
    worker.on('error', (err) => rt.logger.error({ queue: name, err: err.message }, 'worker error'));
    return worker;
  });
  // Effects a crashed process committed but never relayed (shared/outbox): any workers process may.
  const stopRelay = startOutboxRelay(rt);
  rt.logger.info({ queues: QUEUE_NAMES }, 'workers started');
  // Every worker process registers the same scheduler id: BullMQ keeps one.
  scheduleThreadArchiving(rt).catch((err: Error) =>
    rt.logger.warn({ err: err.message }, 'could not schedule the thread archive sweep'),
  );
  scheduleUploadSweep(rt).catch((err: Error) =>
    rt.logger.warn({ err: err.message }, 'could not schedule the upload sweep'),
  );
  scheduleDeliveryPrune(rt).catch((err: Error) =>
    rt.logger.warn({ err: err.message }, 'could not schedule the webhook delivery sweep'),
  );
  return {
    workers,
    async close() {
      await stopRelay();
      await Promise.all(workers.map((w) => w.close()));
      connection.disconnect();
    },
  };
}

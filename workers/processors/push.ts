import type { Job } from 'bullmq';
import type { JobPayloads, JobResults } from '../../shared/queues/index.js';
import type { Runtime } from '../../shared/runtime.js';

/** Placeholder until the feature lands: fails every job so nothing is silently dropped. */
export function createPushProcessor(rt: Runtime) {
  return async (job: Job<JobPayloads['push']>): Promise<JobResults['push']> => {
    rt.logger.warn({ job: job.id }, 'push queue has no processor yet');
    throw new Error('not implemented');
  };
}

import type { Job } from 'bullmq';
import type { JobPayloads, JobResults, QueueName } from '../../shared/queues/index.js';
import type { Runtime } from '../../shared/runtime.js';
import { createAutomodProcessor } from './automod.js';
import { createEmbedsProcessor } from './embeds.js';
import { createExportsProcessor } from './exports.js';
import { createMailProcessor } from './mail.js';
import { createMediaProcessor } from './media.js';
import { createMessagesProcessor } from './messages.js';
import { createPushProcessor } from './push.js';
import { createWebhooksProcessor } from './webhooks.js';

/** A queue's processor, typed by the queue's payload and result. */
export type Processor<Q extends QueueName> = (job: Job<JobPayloads[Q]>) => Promise<JobResults[Q]>;

/** Exactly one processor per queue: a queue without one does not compile. */
export function createProcessors(rt: Runtime): { [Q in QueueName]: Processor<Q> } {
  return {
    messages: createMessagesProcessor(rt),
    media: createMediaProcessor(rt),
    embeds: createEmbedsProcessor(rt),
    webhooks: createWebhooksProcessor(rt),
    push: createPushProcessor(rt),
    automod: createAutomodProcessor(rt),
    exports: createExportsProcessor(rt),
    mail: createMailProcessor(rt),
  };
}

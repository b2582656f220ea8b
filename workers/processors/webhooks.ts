import type { Job } from 'bullmq';
import { QueryTypes } from 'sequelize';
import type { JobPayloads, JobResults } from '../../shared/queues/index.js';
import type { Runtime } from '../../shared/runtime.js';
import { deliverInteraction, workerMessageRunner } from './interaction-delivery.js';
import { deliver } from './webhook-delivery.js';
import { fanOut } from './webhook-fanout.js';

/** How often finished deliveries older than webhooks.retention_days are deleted. */
export const PRUNE_EVERY_MS = 60 * 60 * 1000;

/** Deliveries deleted per statement (the sweep repeats until none is left). */
const PRUNE_BATCH = 5000;

/** The delivery logs the retention sweep covers. */
const DELIVERY_LOGS = ['webhook_deliveries', 'interaction_deliveries'] as const;

/**
 * Deletes finished deliveries (of event webhooks and of interactions) older than
 * webhooks.retention_days, in batches; pending ones stay until they finish. Returns how many it deleted.
 */
export async function pruneDeliveries(rt: Runtime): Promise<number> {
  let total = 0;
  for (const table of DELIVERY_LOGS) {
    for (;;) {
      const deleted = await rt.sequelize.query(
        `DELETE FROM ${table} WHERE id IN (
           SELECT id FROM ${table}
            WHERE created_at < now() - make_interval(days => $1) AND status <> 'pending'
            LIMIT ${PRUNE_BATCH})
         RETURNING id`,
        { bind: [rt.config.webhooks.retention_days], type: QueryTypes.SELECT },
      );
      total += deleted.length;
      if (deleted.length < PRUNE_BATCH) break;
    }
  }
  return total;
}

/** Registers the retention sweep as a repeating job of the `webhooks` queue (idempotent across workers). */
export async function scheduleDeliveryPrune(rt: Runtime): Promise<void> {
  await rt.queues.webhooks.upsertJobScheduler(
    'prune-webhook-deliveries',
    { every: PRUNE_EVERY_MS },
    { name: 'prune', data: { kind: 'prune' } },
  );
}

/**
 * The `webhooks` queue: outgoing HTTP. `fanout` turns one event into deliveries, `deliver` makes
 * one attempt of one event webhook delivery, `interaction` one attempt to POST an interaction to
 * its application (retries are scheduled by the delivery itself, as delayed jobs, so the delivery
 * log always says when the next one is due), `prune` is the retention sweep. BullMQ's own retries
 * only cover a worker failing mid-job.
 */
export function createWebhooksProcessor(rt: Runtime) {
  const runMessage = workerMessageRunner(rt);
  return async (job: Job<JobPayloads['webhooks']>): Promise<JobResults['webhooks']> => {
    const data = job.data;
    switch (data.kind) {
      case 'fanout':
        return fanOut(rt, data);
      case 'deliver':
        return deliver(rt, data);
      case 'interaction':
        return deliverInteraction(rt, data, runMessage);
      case 'prune':
        return pruneDeliveries(rt);
    }
  };
}

import type { Job } from 'bullmq';
import { QueryTypes } from 'sequelize';
import type { Row } from '../../shared/db/models/index.js';
import { sessionIdledOut } from '../../shared/auth/sessions.js';
import { PresenceTracker } from '../../shared/presence/tracker.js';
import { runCommand } from '../../shared/outbox/index.js';
import { vapidDetails } from '../../shared/push/vapid.js';
import type { JobPayload, JobResult } from '../../shared/queues/index.js';
import type { Runtime } from '../../shared/runtime.js';
import { deliverPush, type DeliveryOutcome } from './push-delivery.js';
import { buildPushPayload } from './push-payload.js';

/**
 * The `push` queue: one message to one user's browsers. Right before sending it asks whether the
 * user has a live gateway connection (any status, invisible included): a connected client
 * notifies its user itself, so nothing is pushed. Each subscription then gets the encrypted
 * payload (push-delivery.ts). Answers prune: 404/410 delete the subscription at once; other 4xx
 * count against it and delete it after push.max_failures in a row; 429/5xx/no answer are retried
 * by BullMQ with backoff, sending only to the subscriptions not yet served (the job remembers
 * them), and count as refused on the last attempt.
 */
export function createPushProcessor(rt: Runtime) {
  const presence = new PresenceTracker(rt);
  const { PushSubscription } = rt.models;

  async function remove(subscription: Row<'PushSubscription'>): Promise<void> {
    await runCommand(rt, null, async (transaction, fx) => {
      await PushSubscription.destroy({ where: { id: subscription.id }, transaction });
      fx.refresh('push', [subscription.user_id]);
    });
  }

  /** Counts a refusal; returns true when it was one too many and the subscription is gone. */
  async function refuse(subscription: Row<'PushSubscription'>): Promise<boolean> {
    const rows = await rt.sequelize.query<{ failure_count: number }>(
      `UPDATE push_subscriptions SET failure_count = failure_count + 1 WHERE id = $1 RETURNING failure_count`,
      { bind: [subscription.id], type: QueryTypes.SELECT },
    );
    // Already gone (deleted meanwhile): nothing left to count.
    const count = rows[0]?.failure_count;
    if (count === undefined) return false;
    if (count < rt.config.push.max_failures) return false;
    await remove(subscription);
    return true;
  }

  return async (job: Job<JobPayload<'push'>>): Promise<JobResult<'push'>> => {
    const data = job.data;
    const result: JobResult<'push'> = { sent: 0, removed: 0, failed: 0, skipped: null };
    if (!rt.config.push.enabled) return { ...result, skipped: 'disabled' };
    if (await presence.isConnected(data.user_id)) return { ...result, skipped: 'online' };
    const delivered = new Set(data.delivered ?? []);
    const all = (await PushSubscription.findAll({ where: { user_id: data.user_id } })).filter(
      (s) => !delivered.has(s.id),
    );
    // A browser whose session ended (revoked, or idle past security.session_idle_days) is logged out.
    const sessions = await rt.models.Session.findAll({
      where: { id: [...new Set(all.map((s) => s.session_id))] },
      attributes: ['id', 'kind', 'last_used_at', 'revoked_at'],
    });
    const live = new Set(
      sessions.filter((s) => s.revoked_at === null && !sessionIdledOut(rt.config, s)).map((s) => s.id),
    );
    const subscriptions: Row<'PushSubscription'>[] = [];
    for (const s of all) {
      if (live.has(s.session_id)) subscriptions.push(s);
      else {
        await remove(s);
        result.removed++;
      }
    }
    if (subscriptions.length === 0) {
      return { ...result, skipped: result.removed > 0 ? null : 'no_subscriptions' };
    }
    const payload = await buildPushPayload(rt, data);
    if (!payload) return { ...result, skipped: 'gone' };

    const body = JSON.stringify(payload);
    const vapid = vapidDetails(rt.config);
    const lastAttempt = job.attemptsMade + 1 >= (job.opts.attempts ?? 1);
    const outcomes = await Promise.all(
      subscriptions.map(async (s) => [s, await deliverPush(rt.config, vapid, s, body)] as const),
    );
    const retry: [Row<'PushSubscription'>, DeliveryOutcome][] = [];
    for (const [subscription, outcome] of outcomes) {
      if (outcome.kind === 'sent') {
        result.sent++;
        delivered.add(subscription.id);
        await PushSubscription.update(
          { last_success_at: new Date(), failure_count: 0 },
          { where: { id: subscription.id } },
        );
      } else if (outcome.kind === 'gone') {
        await remove(subscription);
        result.removed++;
      } else if (outcome.kind === 'retry' && !lastAttempt) {
        retry.push([subscription, outcome]);
      } else {
        // Refused, or still failing on the last attempt: counts against the subscription.
        result.failed++;
        if (await refuse(subscription)) result.removed++;
        rt.logger.info(
          { subscription: subscription.id, status: outcome.status, detail: outcome.detail },
          'push refused',
        );
      }
    }
    if (retry.length > 0) {
      await job.updateData({ ...data, delivered: [...delivered] });
      const [, first] = retry[0] as [Row<'PushSubscription'>, DeliveryOutcome];
      throw new Error(
        `${retry.length} push deliveries to retry (first: ${first.status ?? 'no answer'} ${first.detail})`,
      );
    }
    return result;
  };
}

import { Op, QueryTypes } from 'sequelize';
import type { Config } from '../../shared/config/index.js';
import type { DeliveryStatus, Row } from '../../shared/db/models/index.js';
import { rooms } from '../../shared/events/index.js';
import {
  CANCELLED_BY_DISABLE,
  markDisabled,
  queueDeliveryAttempt,
  webhookSecretBox,
} from '../../shared/integrations/event-webhooks.js';
import { eventChannelId } from '../../shared/integrations/event-visibility.js';
import { signPayload } from '../../shared/integrations/signature.js';
import { runCommand } from '../../shared/outbox/index.js';
import { presentNotification } from '../../shared/presenters/read-state.js';
import type { WebhookDeliverJob, WebhooksResult } from '../../shared/queues/index.js';
import type { Runtime } from '../../shared/runtime.js';
import { decodeSnowflake } from '../../shared/snowflake.js';
import { PLEXICHAT_VERSION } from '../../shared/version.js';
import { jitteredBackoff, postAttempt, type AttemptOutcome } from './outbound-attempt.js';
import { loadCreator, ownerView } from './webhook-fanout.js';

/** Why a delivery ended without being sent: its subscription's owner may no longer see the event. */
export const WITHHELD = 'withheld: the webhook owner may no longer see this event';

/** What receivers see as the User-Agent of every delivery. */
export const DELIVERY_USER_AGENT = `Plexichat-Webhooks/${PLEXICHAT_VERSION}`;

/** Bytes of a receiver's answer read at most: only its status matters. */
const MAX_ANSWER_BYTES = 16 * 1024;

export { classifyStatus, parseRetryAfter } from './outbound-attempt.js';

/**
 * The wait before the attempt after attempt `attempt` failed: backoff_base_ms doubled per
 * attempt made, ±20% jitter, at most backoff_max_ms.
 */
export function backoffDelay(
  config: Pick<Config, 'webhooks'>,
  attempt: number,
  random = Math.random,
): number {
  const { backoff_base_ms: base, backoff_max_ms: max } = config.webhooks;
  return jitteredBackoff(base, max, attempt, random);
}

/** POSTs the delivery's body, signed with the subscription's current secret. */
async function attempt(
  rt: Runtime,
  webhook: Row<'EventWebhook'>,
  delivery: Row<'WebhookDelivery'>,
): Promise<AttemptOutcome> {
  const body = JSON.stringify(delivery.payload);
  const secret = webhookSecretBox(rt.config).open(webhook.secret);
  const outcome = await postAttempt(rt, {
    url: webhook.url,
    body,
    headers: {
      'content-type': 'application/json',
      'user-agent': DELIVERY_USER_AGENT,
      'x-plexichat-signature': signPayload(secret, body),
      'x-plexichat-event': delivery.event,
      'x-plexichat-delivery': delivery.id,
    },
    timeoutMs: rt.config.webhooks.timeout_ms,
    maxBytes: MAX_ANSWER_BYTES,
    readAnswer: false,
  });
  const cap = rt.config.webhooks.retry_after_max_seconds * 1000;
  return {
    ...outcome,
    retryAfterMs: outcome.retryAfterMs === null ? null : Math.min(outcome.retryAfterMs, cap),
  };
}

/**
 * Records that a delivery ended without success: counts it against its subscription and, at
 * webhooks.disable_after in a row, disables the subscription and notifies its creator
 * (a `webhook_disabled` notification and NOTIFICATION_CREATE to their own room).
 */
async function countFailure(rt: Runtime, webhook: Row<'EventWebhook'>, lastError: string): Promise<void> {
  const [row] = await rt.sequelize.query<{ consecutive_failures: number; enabled: boolean }>(
    `UPDATE event_webhooks SET consecutive_failures = consecutive_failures + 1
      WHERE id = $1 RETURNING consecutive_failures, enabled`,
    { bind: [webhook.id], type: QueryTypes.SELECT },
  );
  const limit = rt.config.webhooks.disable_after;
  if (!row || !row.enabled || limit === 0 || row.consecutive_failures < limit) return;
  const reason = `${row.consecutive_failures} deliveries in a row failed (last: ${lastError})`;
  // The summary and the creator's NOTIFICATION_CREATE leave with the commit (outbox effects).
  const disabled = await runCommand(rt, rooms.user(webhook.creator_id), async (transaction, fx) => {
    if (!(await markDisabled(rt, webhook, reason, transaction))) return false;
    const id = rt.snowflake.next();
    const notification = await rt.models.Notification.create(
      {
        id,
        user_id: webhook.creator_id,
        type: 'webhook_disabled',
        server_id: webhook.server_id,
        webhook_id: webhook.id,
        detail: { url: webhook.url, reason: webhook.disabled_reason ?? reason },
        created_at: new Date(decodeSnowflake(id).timestampMs),
      },
      { transaction },
    );
    fx.refresh('event-webhooks', [webhook.server_id]);
    fx.dispatch(
      [rooms.user(webhook.creator_id)],
      'NOTIFICATION_CREATE',
      presentNotification(rt.config, notification, null, null),
    );
    return true;
  });
  if (disabled) {
    rt.logger.info({ webhook: webhook.id, server: webhook.server_id, reason }, 'event webhook disabled');
  }
}

/**
 * One attempt of one delivery, then its bookkeeping: the row gets the attempt's number, status
 * code, error and latency; a retryable failure schedules the next attempt (next_attempt_at and a
 * delayed job), the last one makes it `dead`; any other failure makes it `failed`. Every update is
 * conditional on the row still being at this attempt and round, so a job run twice (a retry after
 * a crash) or outdated (the delivery was redelivered or cancelled meanwhile) changes nothing.
 */
export async function deliver(rt: Runtime, job: WebhookDeliverJob): Promise<WebhooksResult> {
  const { WebhookDelivery, EventWebhook } = rt.models;
  const delivery = await WebhookDelivery.findByPk(job.delivery_id);
  if (!delivery || delivery.status !== 'pending' || delivery.redeliveries !== job.round) return 'skipped';
  if (delivery.attempts >= job.attempt) {
    // Recorded by an earlier run that stopped before queueing the next attempt: queue it now.
    if (delivery.attempts === job.attempt && delivery.next_attempt_at) {
      await queueDeliveryAttempt(
        rt,
        delivery,
        job.attempt + 1,
        delivery.next_attempt_at.getTime() - Date.now(),
      );
    }
    return 'skipped';
  }
  const webhook = await EventWebhook.findByPk(delivery.webhook_id);
  if (!webhook) return 'skipped';
  if (!webhook.enabled) {
    await delivery.update({
      status: 'failed',
      last_error: CANCELLED_BY_DISABLE,
      next_attempt_at: null,
      completed_at: new Date(),
    });
    return 'failed';
  }

  // Judged again at each attempt: a retry (or a redelivery) must not carry what the owner lost
  // sight of since the fan-out (VIEW_CHANNEL denied, left or banned, an intent turned off).
  const payload = delivery.payload as { data?: unknown };
  const subject = {
    type: delivery.event,
    channel_id: eventChannelId(delivery.event, payload.data),
    data: payload.data,
  };
  const creator = await loadCreator(rt, webhook.server_id, webhook.creator_id);
  const channel = subject.channel_id ? await rt.models.Channel.findByPk(subject.channel_id) : null;
  const view = await ownerView(creator, webhook.creator_id, channel, subject);
  if (view === undefined) {
    await WebhookDelivery.update(
      { status: 'failed', last_error: WITHHELD, next_attempt_at: null, completed_at: new Date() },
      { where: { id: delivery.id, status: 'pending', attempts: job.attempt - 1, redeliveries: job.round } },
    );
    return 'failed';
  }
  if (view !== 'same') {
    delivery.payload = { ...delivery.payload, data: view.data };
    await WebhookDelivery.update({ payload: delivery.payload }, { where: { id: delivery.id } });
  }

  const outcome = await attempt(rt, webhook, delivery);
  const last = job.attempt >= rt.config.webhooks.max_attempts;
  let status: DeliveryStatus;
  let delay: number | null = null;
  if (outcome.ok) status = 'succeeded';
  else if (!outcome.retryable) status = 'failed';
  else if (last) status = 'dead';
  else {
    status = 'pending';
    delay = outcome.retryAfterMs ?? backoffDelay(rt.config, job.attempt);
  }
  const now = new Date();
  const [updated] = await WebhookDelivery.update(
    {
      status,
      attempts: job.attempt,
      last_status_code: outcome.statusCode,
      last_error: outcome.error,
      last_latency_ms: outcome.latencyMs,
      next_attempt_at: delay === null ? null : new Date(now.getTime() + delay),
      completed_at: status === 'pending' ? null : now,
    },
    {
      where: { id: delivery.id, status: 'pending', attempts: job.attempt - 1, redeliveries: job.round },
    },
  );
  if (updated === 0) return 'skipped';
  if (delay !== null) {
    await queueDeliveryAttempt(rt, delivery, job.attempt + 1, delay);
  } else if (status === 'succeeded') {
    await EventWebhook.update(
      { consecutive_failures: 0 },
      { where: { id: webhook.id, consecutive_failures: { [Op.gt]: 0 } } },
    );
  } else {
    await countFailure(rt, webhook, outcome.error ?? status);
  }
  return status;
}

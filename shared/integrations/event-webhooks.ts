import crypto from 'node:crypto';
import { QueryTypes, type Transaction } from 'sequelize';
import { SecretBox } from '../auth/secret-box.js';
import type { Config } from '../config/index.js';
import type { Row } from '../db/models/index.js';
import type { Effects } from '../outbox/effects.js';
import type { WebhookDeliverJob } from '../queues/index.js';
import type { Runtime } from '../runtime.js';
import { decodeSnowflake } from '../snowflake.js';
import { truncateText } from '../text.js';

/** Why pending deliveries of a disabled subscription ended (they are not counted as its failures). */
export const CANCELLED_BY_DISABLE = 'cancelled: the webhook was disabled';

const boxes = new WeakMap<object, SecretBox>();

/** The box that seals event webhook secrets (one per configuration: the key file is read once). */
export function webhookSecretBox(config: Pick<Config, 'security' | 'data_dir'>): SecretBox {
  let box = boxes.get(config);
  if (!box) {
    box = SecretBox.fromConfig(config);
    boxes.set(config, box);
  }
  return box;
}

/** A new signing secret: `whsec_` and 256 random bits; the whole string is the HMAC key. */
export function generateWebhookSecret(): string {
  return `whsec_${crypto.randomBytes(32).toString('base64url')}`;
}

/**
 * The job id of one attempt: a delivery's attempts are queued once each, and a manual
 * redelivery (the next round) starts a fresh series.
 */
export function deliveryJobId(deliveryId: string, round: number, attempt: number): string {
  return `whd-${deliveryId}-${round}-${attempt}`;
}

/** The job of attempt `attempt` of the delivery's current round, with its id and delay. */
function deliveryAttempt(
  delivery: Pick<Row<'WebhookDelivery'>, 'id' | 'redeliveries'>,
  attempt: number,
  delayMs = 0,
): { job: WebhookDeliverJob; opts: { jobId: string; delay: number } } {
  return {
    job: { kind: 'deliver', delivery_id: delivery.id, round: delivery.redeliveries, attempt },
    opts: {
      jobId: deliveryJobId(delivery.id, delivery.redeliveries, attempt),
      delay: Math.max(0, Math.round(delayMs)),
    },
  };
}

/** Queues attempt `attempt` of the delivery's current round, `delayMs` from now. */
export async function queueDeliveryAttempt(
  rt: Pick<Runtime, 'queues'>,
  delivery: Pick<Row<'WebhookDelivery'>, 'id' | 'redeliveries'>,
  attempt: number,
  delayMs = 0,
): Promise<void> {
  const { job, opts } = deliveryAttempt(delivery, attempt, delayMs);
  await rt.queues.webhooks.add('deliver', job, opts);
}

/**
 * The first attempt of the delivery's current round as an effect of the command that stored or
 * restarted it: queued once that commits (the job id makes a repeated relay queue it once).
 */
export function deliverAfterCommit(
  fx: Effects,
  delivery: Pick<Row<'WebhookDelivery'>, 'id' | 'redeliveries'>,
): void {
  const { job, opts } = deliveryAttempt(delivery, 1);
  fx.job('webhooks', 'deliver', job, { jobId: opts.jobId });
}

/** An event about to be stored as deliveries: what every one of its bodies says besides its own id. */
export interface DeliveryEvent {
  event_id: string;
  type: string;
  server_id: string;
  /** Unix seconds when it happened. */
  timestamp: number;
  data: unknown;
}

/** One subscription to store a delivery for, with its own view of the event's data if it differs. */
export interface DeliveryTarget {
  webhook_id: string;
  /** Replaces the event's data for this subscription (a bot's, without MESSAGE_CONTENT). */
  data?: unknown;
}

/**
 * Stores one pending delivery of `event` per subscription (a subscription that already has one for
 * this event keeps it: a fan-out that runs twice stores nothing new) and returns those still
 * waiting for their first attempt, which the caller queues.
 */
export async function storeDeliveries(
  rt: Pick<Runtime, 'sequelize' | 'snowflake' | 'models'>,
  event: DeliveryEvent,
  targets: DeliveryTarget[],
  transaction?: Transaction,
): Promise<Row<'WebhookDelivery'>[]> {
  if (targets.length === 0) return [];
  const webhookIds = targets.map((t) => t.webhook_id);
  const ids = targets.map(() => rt.snowflake.next());
  const payloads = targets.map((target, i) =>
    JSON.stringify({
      id: ids[i],
      type: event.type,
      server_id: event.server_id,
      timestamp: event.timestamp,
      data: target.data === undefined ? event.data : target.data,
    }),
  );
  const createdAt = ids.map((id) => new Date(decodeSnowflake(id).timestampMs).toISOString());
  await rt.sequelize.query(
    `INSERT INTO webhook_deliveries (id, webhook_id, event_id, event, payload, status, created_at, next_attempt_at)
     SELECT d.id, d.webhook_id, $3, $4, d.payload, 'pending', d.created_at, now()
       FROM unnest($1::bigint[], $2::bigint[], $5::jsonb[], $6::timestamptz[])
            AS d (id, webhook_id, payload, created_at)
     ON CONFLICT (webhook_id, event_id) DO NOTHING`,
    {
      bind: [ids, webhookIds, event.event_id, event.type, payloads, createdAt],
      type: QueryTypes.INSERT,
      transaction,
    },
  );
  return rt.models.WebhookDelivery.findAll({
    where: { event_id: event.event_id, webhook_id: webhookIds, status: 'pending', attempts: 0 },
    transaction,
  });
}

/**
 * Disables a subscription: nothing more is delivered to it, and its pending deliveries end as
 * `failed` (CANCELLED_BY_DISABLE) instead of being retried into a receiver known to be down.
 * Returns false when it was already disabled. The caller invalidates the server's subscription
 * summary (invalidateSubscriptions) once this is committed.
 */
export async function markDisabled(
  rt: Pick<Runtime, 'models'>,
  webhook: Row<'EventWebhook'>,
  reason: string,
  transaction: Transaction,
): Promise<boolean> {
  const [changed] = await rt.models.EventWebhook.update(
    { enabled: false, disabled_at: new Date(), disabled_reason: truncateText(reason, 200) },
    { where: { id: webhook.id, enabled: true }, transaction },
  );
  if (changed === 0) return false;
  await rt.models.WebhookDelivery.update(
    { status: 'failed', last_error: CANCELLED_BY_DISABLE, next_attempt_at: null, completed_at: new Date() },
    { where: { webhook_id: webhook.id, status: 'pending' }, transaction },
  );
  await webhook.reload({ transaction });
  return true;
}

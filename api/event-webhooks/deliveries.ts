import type { DeliveryStatus, Row } from '../../shared/db/models/index.js';
import { eventChannelId, maySeeEvents } from '../../shared/integrations/event-visibility.js';
import type { ServerPolicy } from '../../shared/permissions/index.js';
import type { Runtime } from '../../shared/runtime.js';
import { pageBy } from '../../shared/pagination.js';
import { manageableEventWebhook } from '../../shared/domain/event-webhooks/access.js';
import { manageableWebhook } from '../../shared/domain/webhooks/access.js';
import { redeliverEvent } from '../../shared/domain/event-webhooks/redeliver.js';
import { presentDelivery, type DeliveryObject } from '../../shared/presenters/event-webhook.js';

/** A page request of the delivery log. */
export interface DeliveryQuery {
  limit: number;
  before?: string;
  after?: string;
  status?: DeliveryStatus;
}

/**
 * Deliveries as `policy`'s member may see them: the data of events in channels they cannot see
 * (now) is withheld, whoever the webhook sent it to.
 */
export async function presentDeliveriesFor(
  rt: Runtime,
  policy: ServerPolicy,
  rows: Row<'WebhookDelivery'>[],
): Promise<DeliveryObject[]> {
  const subjects = rows.map((row) => {
    const data = row.payload.data;
    return { type: row.event, channel_id: eventChannelId(row.event, data), data };
  });
  const visible = await maySeeEvents(rt, policy, subjects);
  return rows.map((row, i) => presentDelivery(row, visible[i] === true));
}

/**
 * An event webhook's deliveries, newest first (oldest first with `after`), optionally of one
 * status; payloads of events the caller may not see are withheld (presentDeliveriesFor).
 */
export async function listDeliveries(
  rt: Runtime,
  webhookId: string,
  userId: string,
  query: DeliveryQuery,
): Promise<DeliveryObject[]> {
  // An incoming webhook sends nothing out, so its log is empty; it is shown, as the webhook is, only
  // to those who may manage it (404 `unknown_webhook` to anyone else).
  if (await rt.models.Webhook.findByPk(webhookId, { attributes: ['id'] })) {
    await manageableWebhook(rt, webhookId, userId);
    return [];
  }
  const { webhook, policy } = await manageableEventWebhook(rt, webhookId, userId);
  const page = pageBy('id', query);
  const rows = await rt.models.WebhookDelivery.findAll({
    where: { webhook_id: webhook.id, ...page.where, ...(query.status ? { status: query.status } : {}) },
    order: page.order,
    limit: page.limit,
  });
  return presentDeliveriesFor(rt, policy, rows);
}

/** Sends a delivery again (redeliverEvent) and presents it as its manager sees it. */
export async function redeliver(
  rt: Runtime,
  webhookId: string,
  deliveryId: string,
  userId: string,
): Promise<DeliveryObject> {
  const { row, policy } = await redeliverEvent(rt, webhookId, deliveryId, userId);
  const [shown] = await presentDeliveriesFor(rt, policy, [row]);
  return shown ?? presentDelivery(row, false);
}

import { Op, QueryTypes, type WhereOptions } from 'sequelize';
import type { DeliveryStatus, Row } from '../../shared/db/models/index.js';
import { NotFoundError } from '../../shared/errors.js';
import { queueDeliveryAttempt } from '../../shared/integrations/event-webhooks.js';
import { eventChannelId, maySeeEvents } from '../../shared/integrations/event-visibility.js';
import type { ServerPolicy } from '../../shared/permissions/index.js';
import type { Runtime } from '../../shared/runtime.js';
import { manageableEventWebhook } from '../../shared/domain/event-webhooks/access.js';
import { webhookDisabledError } from '../../shared/domain/event-webhooks/rules.js';
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
  const { webhook, policy } = await manageableEventWebhook(rt, webhookId, userId);
  const where: WhereOptions<Row<'WebhookDelivery'>> = { webhook_id: webhook.id };
  const id: Record<symbol, string> = {};
  if (query.before) id[Op.lt] = query.before;
  if (query.after) id[Op.gt] = query.after;
  if (query.before || query.after) Object.assign(where, { id });
  if (query.status) Object.assign(where, { status: query.status });
  const rows = await rt.models.WebhookDelivery.findAll({
    where,
    order: [['id', query.after ? 'ASC' : 'DESC']],
    limit: query.limit,
  });
  return presentDeliveriesFor(rt, policy, rows);
}

/**
 * Sends a delivery again, whatever became of it (dead and failed ones too): it is pending again
 * with a fresh series of attempts (its `redeliveries` counts these restarts), under the same id,
 * so a receiver that already processed it can recognise it. The subscription must be enabled.
 */
export async function redeliver(
  rt: Runtime,
  webhookId: string,
  deliveryId: string,
  userId: string,
): Promise<DeliveryObject> {
  const { webhook, policy } = await manageableEventWebhook(rt, webhookId, userId);
  if (!webhook.enabled) throw webhookDisabledError();
  const [row] = await rt.sequelize.query(
    `UPDATE webhook_deliveries
        SET status = 'pending', attempts = 0, redeliveries = redeliveries + 1,
            next_attempt_at = now(), completed_at = NULL
      WHERE id = $1 AND webhook_id = $2
      RETURNING *`,
    {
      bind: [deliveryId, webhook.id],
      type: QueryTypes.SELECT,
      model: rt.models.WebhookDelivery,
      mapToModel: true,
    },
  );
  if (!row) throw new NotFoundError('delivery');
  await queueDeliveryAttempt(rt, row, 1);
  const [shown] = await presentDeliveriesFor(rt, policy, [row]);
  return shown ?? presentDelivery(row, false);
}

import { Op, QueryTypes, type WhereOptions } from 'sequelize';
import type { DeliveryStatus, Row } from '../../shared/db/models/index.js';
import { NotFoundError } from '../../shared/errors.js';
import { queueDeliveryAttempt } from '../../shared/integrations/event-webhooks.js';
import type { Runtime } from '../../shared/runtime.js';
import { manageableEventWebhook } from './access.js';
import { webhookDisabledError } from './commands.js';
import { presentDelivery, type DeliveryObject } from './present.js';

/** A page request of the delivery log. */
export interface DeliveryQuery {
  limit: number;
  before?: string;
  after?: string;
  status?: DeliveryStatus;
}

/** An event webhook's deliveries, newest first (oldest first with `after`), optionally of one status. */
export async function listDeliveries(
  rt: Runtime,
  webhookId: string,
  userId: string,
  query: DeliveryQuery,
): Promise<DeliveryObject[]> {
  const { webhook } = await manageableEventWebhook(rt, webhookId, userId);
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
  return rows.map(presentDelivery);
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
  const { webhook } = await manageableEventWebhook(rt, webhookId, userId);
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
  return presentDelivery(row);
}

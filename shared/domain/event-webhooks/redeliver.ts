import { QueryTypes } from 'sequelize';
import type { Row } from '../../db/models/index.js';
import { NotFoundError } from '../../errors.js';
import { rooms } from '../../events/index.js';
import { deliveryAttemptJob } from '../../integrations/event-webhooks.js';
import { runCommand } from '../../outbox/index.js';
import type { ServerPolicy } from '../../permissions/index.js';
import type { Runtime } from '../../runtime.js';
import { manageableEventWebhook } from './access.js';
import { webhookDisabledError } from './rules.js';

/**
 * Sends a delivery again, whatever became of it (dead and failed ones too): it is pending again
 * with a fresh series of attempts (its `redeliveries` counts these restarts), under the same id,
 * so a receiver that already processed it can recognise it. The subscription must be enabled
 * (409). The first attempt's job is an effect of the reset: queued once it is committed. Returns
 * the delivery and the caller's policy (what they may see of its payload).
 */
export async function redeliver(
  rt: Runtime,
  webhookId: string,
  deliveryId: string,
  userId: string,
): Promise<{ delivery: Row<'WebhookDelivery'>; policy: ServerPolicy }> {
  const { webhook, policy } = await manageableEventWebhook(rt, webhookId, userId);
  if (!webhook.enabled) throw webhookDisabledError();
  const delivery = await runCommand(rt, rooms.server(webhook.server_id), async (transaction, fx) => {
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
        transaction,
      },
    );
    if (!row) throw new NotFoundError('delivery');
    const job = deliveryAttemptJob(row, 1);
    fx.job('webhooks', 'deliver', job.data, job.opts);
    return row;
  });
  return { delivery, policy };
}

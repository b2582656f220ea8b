import { QueryTypes } from 'sequelize';
import type { Row } from '../../db/models/index.js';
import { NotFoundError } from '../../errors.js';
import { deliverAfterCommit } from '../../integrations/event-webhooks.js';
import { runCommand } from '../../outbox/index.js';
import type { ServerPolicy } from '../../permissions/index.js';
import type { Runtime } from '../../runtime.js';
import { manageableEventWebhook } from './access.js';
import { webhookDisabledError } from './rules.js';

/**
 * Sends a delivery again, whatever became of it (dead and failed ones too): it is pending again
 * with a fresh series of attempts (its `redeliveries` counts these restarts), under the same id,
 * so a receiver that already processed it can recognise it. The subscription must be enabled. The
 * restart and the first attempt's job are one command. Returns the row and the caller's policy.
 */
export async function redeliverEvent(
  rt: Runtime,
  webhookId: string,
  deliveryId: string,
  userId: string,
): Promise<{ row: Row<'WebhookDelivery'>; policy: ServerPolicy }> {
  const { webhook, policy } = await manageableEventWebhook(rt, webhookId, userId);
  if (!webhook.enabled) throw webhookDisabledError();
  const row = await runCommand(rt, null, async (transaction, fx) => {
    const [restarted] = await rt.sequelize.query(
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
    if (!restarted) throw new NotFoundError('delivery');
    deliverAfterCommit(fx, restarted);
    return restarted;
  });
  return { row, policy };
}

import { deliverAfterCommit, storeDeliveries } from '../../integrations/event-webhooks.js';
import { PING_EVENT } from '../../integrations/event-types.js';
import { presentDelivery, type DeliveryObject } from '../../presenters/event-webhook.js';
import { runCommand } from '../../outbox/index.js';
import type { Runtime } from '../../runtime.js';
import { decodeSnowflake } from '../../snowflake.js';
import { manageableEventWebhook } from './access.js';
import { webhookDisabledError } from './rules.js';

/**
 * Sends a PING delivery (data `{webhook_id}`) through the usual delivery path, retries included:
 * the delivery row and its first attempt's job are one command.
 */
export async function pingEventWebhook(
  rt: Runtime,
  webhookId: string,
  userId: string,
): Promise<DeliveryObject> {
  const { webhook } = await manageableEventWebhook(rt, webhookId, userId);
  if (!webhook.enabled) throw webhookDisabledError();
  const eventId = rt.snowflake.next();
  const delivery = await runCommand(rt, null, async (transaction, fx) => {
    const [stored] = await storeDeliveries(
      rt,
      {
        event_id: eventId,
        type: PING_EVENT,
        server_id: webhook.server_id,
        timestamp: Math.floor(decodeSnowflake(eventId).timestampMs / 1000),
        data: { webhook_id: webhook.id },
      },
      [{ webhook_id: webhook.id }],
      transaction,
    );
    if (!stored) throw new Error('the ping delivery was not stored');
    deliverAfterCommit(fx, stored);
    return stored;
  });
  return presentDelivery(delivery);
}

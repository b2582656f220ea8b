import { queueDeliveryAttempt, storeDeliveries } from '../../integrations/event-webhooks.js';
import { PING_EVENT } from '../../integrations/event-types.js';
import { presentDelivery, type DeliveryObject } from '../../presenters/event-webhook.js';
import type { Runtime } from '../../runtime.js';
import { decodeSnowflake } from '../../snowflake.js';
import { manageableEventWebhook } from './access.js';
import { webhookDisabledError } from './rules.js';

/** Sends a PING delivery (data `{webhook_id}`) through the usual delivery path, retries included. */
export async function pingEventWebhook(
  rt: Runtime,
  webhookId: string,
  userId: string,
): Promise<DeliveryObject> {
  const { webhook } = await manageableEventWebhook(rt, webhookId, userId);
  if (!webhook.enabled) throw webhookDisabledError();
  const eventId = rt.snowflake.next();
  const [delivery] = await storeDeliveries(
    rt,
    {
      event_id: eventId,
      type: PING_EVENT,
      server_id: webhook.server_id,
      timestamp: Math.floor(decodeSnowflake(eventId).timestampMs / 1000),
      data: { webhook_id: webhook.id },
    },
    [{ webhook_id: webhook.id }],
  );
  if (!delivery) throw new Error('the ping delivery was not stored');
  await queueDeliveryAttempt(rt, delivery, 1);
  return presentDelivery(delivery);
}

import { recordAudit } from '../../audit.js';
import { invalidateSubscriptions } from '../../integrations/outgoing-events.js';
import type { Runtime } from '../../runtime.js';
import { manageableEventWebhook } from './access.js';
import { auditFields } from './rules.js';

/** Deletes an event webhook with its delivery log: nothing more is sent to it. */
export async function deleteEventWebhook(
  rt: Runtime,
  webhookId: string,
  userId: string,
  reason: string | null,
): Promise<void> {
  const { webhook } = await manageableEventWebhook(rt, webhookId, userId);
  await rt.sequelize.transaction(async (transaction) => {
    await webhook.destroy({ transaction });
    await recordAudit(
      rt,
      {
        serverId: webhook.server_id,
        actorId: userId,
        action: 'event_webhook_delete',
        targetType: 'event_webhook',
        targetId: webhook.id,
        changes: Object.entries(auditFields(webhook)).map(([key, old]) => ({ key, old })),
        reason,
      },
      transaction,
    );
  });
  await invalidateSubscriptions(rt, webhook.server_id);
}

import { recordAudit } from '../../audit.js';
import { rooms } from '../../events/index.js';
import { runCommand } from '../../outbox/index.js';
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
  await runCommand(rt, rooms.server(webhook.server_id), async (transaction, fx) => {
    // Their server's subscription summary (Redis) is forgotten once this is committed.
    fx.refresh('event-webhooks', [webhook.server_id]);
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
}

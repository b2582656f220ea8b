import { recordAudit } from '../../audit.js';
import { generateWebhookSecret, webhookSecretBox } from '../../integrations/event-webhooks.js';
import { presentEventWebhook, type EventWebhookWithSecret } from '../../presenters/event-webhook.js';
import type { Runtime } from '../../runtime.js';
import { manageableEventWebhook, visibleFilterChannels } from './access.js';

/** Replaces the signing secret (attempts from now on, retries included, are signed with the new one). */
export async function rotateEventWebhookSecret(
  rt: Runtime,
  webhookId: string,
  userId: string,
  reason: string | null,
): Promise<EventWebhookWithSecret> {
  const { webhook, policy } = await manageableEventWebhook(rt, webhookId, userId);
  const secret = generateWebhookSecret();
  await rt.sequelize.transaction(async (transaction) => {
    await webhook.update({ secret: webhookSecretBox(rt.config).seal(secret) }, { transaction });
    // Which field changed, never the values.
    await recordAudit(
      rt,
      {
        serverId: webhook.server_id,
        actorId: userId,
        action: 'event_webhook_update',
        targetType: 'event_webhook',
        targetId: webhook.id,
        changes: [{ key: 'secret' }],
        reason,
      },
      transaction,
    );
  });
  return { ...presentEventWebhook(webhook, await visibleFilterChannels(rt, policy, [webhook])), secret };
}

import { recordAudit } from '../../audit.js';
import { presentWebhookWithToken, type WebhookWithTokenObject } from '../../presenters/webhook.js';
import type { Runtime } from '../../runtime.js';
import { manageableWebhook } from './access.js';
import { newWebhookToken } from './token.js';

/**
 * Replaces a webhook's token, hash and sealed copy together (the old one stops working at once); the
 * answer shows the new one. A webhook from before migration 0028 gets its sealed copy this way.
 */
export async function regenerateWebhookToken(
  rt: Runtime,
  webhookId: string,
  userId: string,
  reason: string | null,
): Promise<WebhookWithTokenObject> {
  const row = await manageableWebhook(rt, webhookId, userId);
  const { token, columns } = newWebhookToken(rt.config);
  await rt.sequelize.transaction(async (transaction) => {
    await row.update(columns, { transaction });
    // Which field changed, never the values: tokens do not go into the audit log.
    await recordAudit(
      rt,
      {
        serverId: row.server_id,
        actorId: userId,
        action: 'webhook_update',
        targetType: 'webhook',
        targetId: row.id,
        changes: [{ key: 'token' }],
        reason,
      },
      transaction,
    );
  });
  return presentWebhookWithToken(rt, row, token);
}

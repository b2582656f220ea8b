import { recordAudit } from '../../audit.js';
import { generateToken, hashToken } from '../../auth/tokens.js';
import { presentWebhookWithToken, type WebhookWithTokenObject } from '../../presenters/webhook.js';
import type { Runtime } from '../../runtime.js';
import { manageableWebhook } from './access.js';

/** Replaces a webhook's token (the old one stops working at once); the answer shows the new one. */
export async function regenerateWebhookToken(
  rt: Runtime,
  webhookId: string,
  userId: string,
  reason: string | null,
): Promise<WebhookWithTokenObject> {
  const row = await manageableWebhook(rt, webhookId, userId);
  const token = generateToken();
  await rt.sequelize.transaction(async (transaction) => {
    await row.update({ token_hash: hashToken(token) }, { transaction });
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

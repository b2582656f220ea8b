import { recordAudit } from '../../audit.js';
import type { Runtime } from '../../runtime.js';
import { manageableWebhook } from './access.js';

/** Deletes a webhook: its URL stops working at once; messages it posted stay. */
export async function deleteWebhook(
  rt: Runtime,
  webhookId: string,
  userId: string,
  reason: string | null,
): Promise<void> {
  const row = await manageableWebhook(rt, webhookId, userId);
  await rt.sequelize.transaction(async (transaction) => {
    await row.destroy({ transaction });
    await recordAudit(
      rt,
      {
        serverId: row.server_id,
        actorId: userId,
        action: 'webhook_delete',
        targetType: 'webhook',
        targetId: row.id,
        changes: [
          { key: 'name', old: row.name },
          { key: 'channel_id', old: row.channel_id },
        ],
        reason,
      },
      transaction,
    );
  });
}

import { diff, recordAudit } from '../../audit.js';
import { ValidationError } from '../../errors.js';
import { presentWebhook, type WebhookObject } from '../../presenters/webhook.js';
import type { Runtime } from '../../runtime.js';
import { manageableChannel, manageableWebhook, requireWebhookRoom } from './access.js';

/** Renames, re-avatars or moves a webhook (moving needs MANAGE_WEBHOOKS in both channels). */
export async function updateWebhook(
  rt: Runtime,
  webhookId: string,
  userId: string,
  input: { name?: string; avatar_url?: string | null; channel_id?: string },
  reason: string | null,
): Promise<WebhookObject> {
  const row = await manageableWebhook(rt, webhookId, userId);
  if (input.channel_id !== undefined && input.channel_id !== row.channel_id) {
    const { channel } = await manageableChannel(rt, input.channel_id, userId);
    if (channel.server_id !== row.server_id) {
      throw new ValidationError({ channel_id: 'must be a channel of the webhook’s server' });
    }
  }
  const before = { name: row.name, avatar_url: row.avatar_url, channel_id: row.channel_id };
  const after = {
    name: input.name ?? row.name,
    avatar_url: input.avatar_url === undefined ? row.avatar_url : input.avatar_url,
    channel_id: input.channel_id ?? row.channel_id,
  };
  const changes = diff(before, after);
  if (changes.length === 0) return presentWebhook(row);
  await rt.sequelize.transaction(async (transaction) => {
    if (after.channel_id !== before.channel_id) await requireWebhookRoom(rt, after.channel_id, transaction);
    await row.update(after, { transaction });
    await recordAudit(
      rt,
      {
        serverId: row.server_id,
        actorId: userId,
        action: 'webhook_update',
        targetType: 'webhook',
        targetId: row.id,
        changes,
        reason,
      },
      transaction,
    );
  });
  return presentWebhook(row);
}

import { recordAudit } from '../../audit.js';
import { presentWebhookWithToken, type WebhookWithTokenObject } from '../../presenters/webhook.js';
import type { Runtime } from '../../runtime.js';
import { decodeSnowflake } from '../../snowflake.js';
import { manageableChannel, requireWebhookRoom } from './access.js';
import { newWebhookToken } from './token.js';

/** Creates a webhook in a channel; the answer carries its token (its managers' lists show it too). */
export async function createWebhook(
  rt: Runtime,
  channelId: string,
  userId: string,
  input: { name: string; avatar_url?: string | null },
  reason: string | null,
): Promise<WebhookWithTokenObject> {
  const { channel } = await manageableChannel(rt, channelId, userId);
  const serverId = channel.server_id as string;
  const { token, columns } = newWebhookToken(rt.config);
  const id = rt.snowflake.next();
  const row = await rt.sequelize.transaction(async (transaction) => {
    await requireWebhookRoom(rt, channel.id, transaction);
    const created = await rt.models.Webhook.create(
      {
        id,
        server_id: serverId,
        channel_id: channel.id,
        creator_id: userId,
        name: input.name,
        avatar_url: input.avatar_url ?? null,
        ...columns,
        created_at: new Date(decodeSnowflake(id).timestampMs),
      },
      { transaction },
    );
    await recordAudit(
      rt,
      {
        serverId,
        actorId: userId,
        action: 'webhook_create',
        targetType: 'webhook',
        targetId: id,
        changes: [
          { key: 'name', new: created.name },
          { key: 'channel_id', new: created.channel_id },
          { key: 'avatar_url', new: created.avatar_url },
        ],
        reason,
      },
      transaction,
    );
    return created;
  });
  return presentWebhookWithToken(rt, row, token);
}

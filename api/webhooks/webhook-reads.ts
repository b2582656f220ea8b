import { manageableChannel } from '../../shared/domain/webhooks/access.js';
import { Permission, ServerPolicy, has } from '../../shared/permissions/index.js';
import { presentWebhook, type WebhookObject } from '../../shared/presenters/webhook.js';
import type { Runtime } from '../../shared/runtime.js';

// Webhook reads; creating, changing and deleting are domain commands (shared/domain/webhooks/).

/** A channel's webhooks, oldest first (MANAGE_WEBHOOKS in the channel). */
export async function listChannelWebhooks(
  rt: Runtime,
  channelId: string,
  userId: string,
): Promise<WebhookObject[]> {
  const { channel } = await manageableChannel(rt, channelId, userId);
  const rows = await rt.models.Webhook.findAll({ where: { channel_id: channel.id }, order: [['id', 'ASC']] });
  return rows.map(presentWebhook);
}

/**
 * A server's webhooks (MANAGE_WEBHOOKS server-wide), only those of channels where an overwrite
 * does not take it (or VIEW_CHANNEL) away again.
 */
export async function listServerWebhooks(
  rt: Runtime,
  serverId: string,
  userId: string,
): Promise<WebhookObject[]> {
  const policy = await ServerPolicy.load(rt, serverId, userId);
  policy.require(Permission.MANAGE_WEBHOOKS);
  const rows = await rt.models.Webhook.findAll({ where: { server_id: serverId }, order: [['id', 'ASC']] });
  const channels = await rt.models.Channel.findAll({
    where: { id: [...new Set(rows.map((r) => r.channel_id))] },
  });
  const allowed = new Set<string>();
  for (const channel of channels) {
    if (has(await policy.channelPermissions(channel), Permission.VIEW_CHANNEL | Permission.MANAGE_WEBHOOKS)) {
      allowed.add(channel.id);
    }
  }
  return rows.filter((r) => allowed.has(r.channel_id)).map(presentWebhook);
}

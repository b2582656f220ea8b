import type { Row } from '../../shared/db/models/index.js';
import { manageableChannel } from '../../shared/domain/webhooks/access.js';
import { openWebhookToken } from '../../shared/domain/webhooks/token.js';
import { Permission, ServerPolicy, has } from '../../shared/permissions/index.js';
import { presentListedWebhook, type ListedWebhookObject } from '../../shared/presenters/webhook.js';
import type { Runtime } from '../../shared/runtime.js';

// Webhook reads; creating, changing and deleting are domain commands (shared/domain/webhooks/).

/** Only rows the caller may manage get here: they see each token, as API.md and Discord list it. */
const listed = (rt: Runtime, row: Row<'Webhook'>): ListedWebhookObject =>
  presentListedWebhook(rt, row, openWebhookToken(rt, row));

/** A channel's webhooks, oldest first (MANAGE_WEBHOOKS in the channel). */
export async function listChannelWebhooks(
  rt: Runtime,
  channelId: string,
  userId: string,
): Promise<ListedWebhookObject[]> {
  const { channel } = await manageableChannel(rt, channelId, userId);
  const rows = await rt.models.Webhook.findAll({ where: { channel_id: channel.id }, order: [['id', 'ASC']] });
  return rows.map((row) => listed(rt, row));
}

/**
 * A server's webhooks (MANAGE_WEBHOOKS server-wide), only those of channels where an overwrite
 * does not take it (or VIEW_CHANNEL) away again.
 */
export async function listServerWebhooks(
  rt: Runtime,
  serverId: string,
  userId: string,
): Promise<ListedWebhookObject[]> {
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
  return rows.filter((r) => allowed.has(r.channel_id)).map((row) => listed(rt, row));
}

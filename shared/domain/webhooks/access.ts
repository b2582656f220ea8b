import type { Transaction } from 'sequelize';
import type { Row } from '../../db/models/index.js';
import { ApiError, NotFoundError, ValidationError } from '../../errors.js';
import { Permission, ServerPolicy, has } from '../../permissions/index.js';
import type { Runtime } from '../../runtime.js';

/**
 * A server text channel where the caller has MANAGE_WEBHOOKS: 404 when it is unknown or invisible to
 * them, 403 naming MANAGE_WEBHOOKS when they see it without it, 400 for other channel types.
 */
export async function manageableChannel(
  rt: Runtime,
  channelId: string,
  userId: string,
): Promise<{ channel: Row<'Channel'>; policy: ServerPolicy }> {
  const channel = await rt.models.Channel.findByPk(channelId);
  if (!channel || channel.server_id === null) throw new NotFoundError('channel');
  const policy = await ServerPolicy.load(rt, channel.server_id, userId).catch(() => {
    throw new NotFoundError('channel');
  });
  await policy.requireChannel(channel, Permission.MANAGE_WEBHOOKS);
  if (channel.channel_type !== 'text') {
    throw new ValidationError({ channel_id: 'webhooks post only into server text channels' });
  }
  return { channel, policy };
}

/**
 * A webhook the caller may manage. Anything less (not a member, channel hidden, no
 * MANAGE_WEBHOOKS there) is 404 `unknown_webhook`: webhooks are invisible to those who cannot manage them.
 */
export async function manageableWebhook(
  rt: Runtime,
  webhookId: string,
  userId: string,
): Promise<Row<'Webhook'>> {
  const row = await rt.models.Webhook.findByPk(webhookId);
  if (!row) throw new NotFoundError('webhook');
  const channel = await rt.models.Channel.findByPk(row.channel_id);
  const policy = await ServerPolicy.load(rt, row.server_id, userId).catch(() => null);
  const perms = channel && policy ? await policy.channelPermissions(channel) : 0n;
  if (!has(perms, Permission.VIEW_CHANNEL | Permission.MANAGE_WEBHOOKS)) throw new NotFoundError('webhook');
  return row;
}

/**
 * Throws 400 `too_many_webhooks` when `channelId` already holds `webhooks.max_incoming_per_channel`
 * incoming webhooks. Locks the channel row first, so two creations (or moves) at once cannot both
 * take its last place.
 */
export async function requireWebhookRoom(
  rt: Runtime,
  channelId: string,
  transaction: Transaction,
): Promise<void> {
  await rt.models.Channel.findByPk(channelId, { transaction, lock: transaction.LOCK.UPDATE });
  const limit = rt.config.webhooks.max_incoming_per_channel;
  if ((await rt.models.Webhook.count({ where: { channel_id: channelId }, transaction })) >= limit) {
    throw new ApiError(400, 'too_many_webhooks', `A channel may have at most ${limit} incoming webhooks`);
  }
}

import { recordAudit, diff } from '../../shared/audit.js';
import { generateToken, hashToken } from '../../shared/auth/tokens.js';
import type { Row } from '../../shared/db/models/index.js';
import { NotFoundError, ValidationError } from '../../shared/errors.js';
import { Permission, ServerPolicy, has } from '../../shared/permissions/index.js';
import type { Runtime } from '../../shared/runtime.js';
import { decodeSnowflake } from '../../shared/snowflake.js';
import { unixSeconds } from '../../shared/presenters/time.js';

/** A webhook as its managers see it (never its token). */
export interface WebhookObject {
  id: string;
  server_id: string;
  channel_id: string;
  creator_id: string;
  name: string;
  avatar_url: string | null;
  created_at: number;
}

/** The answer to creating a webhook or regenerating its token: the only time the token is shown. */
export interface WebhookWithTokenObject extends WebhookObject {
  token: string;
  url: string;
}

/** The webhook object for a stored row. */
export function presentWebhook(row: Row<'Webhook'>): WebhookObject {
  return {
    id: row.id,
    server_id: row.server_id,
    channel_id: row.channel_id,
    creator_id: row.creator_id,
    name: row.name,
    avatar_url: row.avatar_url,
    created_at: unixSeconds(row.created_at),
  };
}

/** The execute URL of a webhook (absolute with server.public_url, else relative). */
export function webhookUrl(rt: Pick<Runtime, 'config'>, id: string, token: string): string {
  const base = rt.config.server.public_url?.replace(/\/+$/, '') ?? '';
  return `${base}/api/v1/webhooks/${id}/${token}`;
}

function withToken(rt: Runtime, row: Row<'Webhook'>, token: string): WebhookWithTokenObject {
  return { ...presentWebhook(row), token, url: webhookUrl(rt, row.id, token) };
}

/**
 * A server text channel where the caller has MANAGE_WEBHOOKS: 404 when it is unknown or invisible to
 * them, 403 naming MANAGE_WEBHOOKS when they see it without it, 400 for other channel types.
 */
async function manageableChannel(
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
async function manageableWebhook(rt: Runtime, webhookId: string, userId: string): Promise<Row<'Webhook'>> {
  const row = await rt.models.Webhook.findByPk(webhookId);
  if (!row) throw new NotFoundError('webhook');
  const channel = await rt.models.Channel.findByPk(row.channel_id);
  const policy = await ServerPolicy.load(rt, row.server_id, userId).catch(() => null);
  const perms = channel && policy ? await policy.channelPermissions(channel) : 0n;
  if (!has(perms, Permission.VIEW_CHANNEL | Permission.MANAGE_WEBHOOKS)) throw new NotFoundError('webhook');
  return row;
}

/** Creates a webhook in a channel; the answer carries its token, shown this once. */
export async function createWebhook(
  rt: Runtime,
  channelId: string,
  userId: string,
  input: { name: string; avatar_url?: string | null },
  reason: string | null,
): Promise<WebhookWithTokenObject> {
  const { channel } = await manageableChannel(rt, channelId, userId);
  const serverId = channel.server_id as string;
  const token = generateToken();
  const id = rt.snowflake.next();
  const row = await rt.sequelize.transaction(async (transaction) => {
    const created = await rt.models.Webhook.create(
      {
        id,
        server_id: serverId,
        channel_id: channel.id,
        creator_id: userId,
        name: input.name,
        avatar_url: input.avatar_url ?? null,
        token_hash: hashToken(token),
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
  return withToken(rt, row, token);
}

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
  return withToken(rt, row, token);
}

import type { Row } from '../../db/models/index.js';
import { NotFoundError, ValidationError } from '../../errors.js';
import { SafeFetchError, vetOutboundUrl } from '../../net/safe-fetch.js';
import { Permission, ServerPolicy, has } from '../../permissions/index.js';
import type { Runtime } from '../../runtime.js';

/**
 * The caller's policy in a server where they may manage event webhooks: 404 `unknown_server`
 * when they are not a member, 403 naming MANAGE_WEBHOOKS when they lack it server-wide.
 */
export async function managingPolicy(rt: Runtime, serverId: string, userId: string): Promise<ServerPolicy> {
  const policy = await ServerPolicy.load(rt, serverId, userId);
  policy.require(Permission.MANAGE_WEBHOOKS);
  return policy;
}

/**
 * Whether the caller (their policy in the webhook's server, MANAGE_WEBHOOKS already checked) may
 * see and manage this event webhook: its owner (`creator_id`, whose view its deliveries carry), or
 * a member with MANAGE_SERVER who outranks the owner (the server owner outranks everyone else; an
 * owner who left the server has no rank). Nobody else learns it exists: a webhook carries what its
 * owner can see, so a lower or equal manager could otherwise read or redirect it.
 */
export async function mayManageEventWebhook(
  rt: Runtime,
  policy: ServerPolicy,
  webhook: Pick<Row<'EventWebhook'>, 'creator_id' | 'server_id'>,
): Promise<boolean> {
  if (webhook.creator_id === policy.facts.userId) return true;
  if (!has(policy.permissions, Permission.MANAGE_SERVER)) return false;
  const owner = await ServerPolicy.load(rt, webhook.server_id, webhook.creator_id).catch((err: unknown) => {
    if (err instanceof NotFoundError) return null;
    throw err;
  });
  return owner === null || policy.outranksMember(owner.facts);
}

/**
 * An event webhook the caller may manage (MANAGE_WEBHOOKS server-wide in its server, and
 * mayManageEventWebhook). Anything less (unknown, not a member, no permission, someone else's
 * webhook) is 404 `unknown_webhook`: event webhooks are invisible to those who cannot manage them.
 */
export async function manageableEventWebhook(
  rt: Runtime,
  webhookId: string,
  userId: string,
): Promise<{ webhook: Row<'EventWebhook'>; policy: ServerPolicy }> {
  const webhook = await rt.models.EventWebhook.findByPk(webhookId);
  if (!webhook) throw new NotFoundError('webhook');
  const policy = await ServerPolicy.load(rt, webhook.server_id, userId).catch(() => null);
  if (!policy || !has(policy.permissions, Permission.MANAGE_WEBHOOKS)) throw new NotFoundError('webhook');
  if (!(await mayManageEventWebhook(rt, policy, webhook))) throw new NotFoundError('webhook');
  return { webhook, policy };
}

/**
 * Refuses a receiver URL the deliveries could never reach, with the checks the fetcher makes
 * (as for link previews): http(s) without credentials, a name that resolves, and no private,
 * loopback, link-local or reserved address unless outbound.allow_private lists it. 400 naming `url`.
 */
export async function vetReceiverUrl(rt: Runtime, url: string): Promise<void> {
  try {
    await vetOutboundUrl(url, rt.config.outbound);
  } catch (err) {
    if (!(err instanceof SafeFetchError)) throw err;
    const why =
      err.code === 'blocked_address'
        ? 'url leads to a private, loopback or reserved address'
        : err.code === 'fetch_failed'
          ? 'url has a host name that does not resolve'
          : `url is not usable: ${err.message}`;
    throw new ValidationError({ url: why });
  }
}

/**
 * The channels, among those the webhooks' filters name, that the policy's member can see: what
 * presentEventWebhook may show them, and what their edit of a filter may replace.
 */
export async function visibleFilterChannels(
  rt: Runtime,
  policy: ServerPolicy,
  webhooks: Pick<Row<'EventWebhook'>, 'channel_ids'>[],
): Promise<Set<string>> {
  const ids = [...new Set(webhooks.flatMap((w) => (w.channel_ids ?? []).map(String)))];
  const visible = new Set<string>();
  if (ids.length === 0) return visible;
  const channels = await rt.models.Channel.findAll({ where: { id: ids, server_id: policy.server.id } });
  for (const channel of channels) {
    if (has(await policy.channelPermissions(channel), Permission.VIEW_CHANNEL))
      visible.add(String(channel.id));
  }
  return visible;
}

/**
 * Checks a channel filter: every id must be a channel of the server the caller can see (400
 * naming `channel_ids.<index>` otherwise, without saying whether a hidden one exists).
 */
export async function vetChannelFilter(
  rt: Runtime,
  policy: ServerPolicy,
  channelIds: string[] | null | undefined,
): Promise<void> {
  if (!channelIds) return;
  const channels = await rt.models.Channel.findAll({
    where: { id: channelIds, server_id: policy.server.id },
  });
  const byId = new Map(channels.map((c) => [c.id, c]));
  const errors: Record<string, string> = {};
  for (const [i, id] of channelIds.entries()) {
    const channel = byId.get(id);
    if (!channel || !has(await policy.channelPermissions(channel), Permission.VIEW_CHANNEL)) {
      errors[`channel_ids.${i}`] = `channel_ids.${i} is not a channel of this server`;
    }
  }
  if (Object.keys(errors).length > 0) throw new ValidationError(errors);
}

import { Op } from 'sequelize';
import { isThreadType, type Row } from '../../shared/db/models/index.js';
import { queueDeliveryAttempt, storeDeliveries } from '../../shared/integrations/event-webhooks.js';
import {
  Permission,
  ServerPolicy,
  channelPermissions,
  has,
  type Overwrite,
} from '../../shared/permissions/index.js';
import type { ChannelObject } from '../../shared/presenters/types.js';
import type { WebhookFanoutJob } from '../../shared/queues/index.js';
import type { Runtime } from '../../shared/runtime.js';

/** Whether a subscription's channel filter lets an event in `channel` through (a thread: its parent's filter). */
function inFilter(webhook: Row<'EventWebhook'>, channelId: string | null, parentId: string | null): boolean {
  if (webhook.channel_ids === null || channelId === null) return true;
  const ids = webhook.channel_ids.map(String);
  return ids.includes(channelId) || (parentId !== null && ids.includes(parentId));
}

/**
 * Whether the subscription's creator may see the event now: still a member of the server, and,
 * for an event in a channel, with VIEW_CHANNEL there (a thread: its parent's, private threads
 * only for their members and thread managers). A deleted channel (CHANNEL_DELETE) is judged by
 * the overwrites it had, which the event carries.
 */
async function creatorMaySee(
  policy: ServerPolicy | null,
  channel: Row<'Channel'> | null,
  job: WebhookFanoutJob,
): Promise<boolean> {
  if (!policy) return false;
  if (job.channel_id === null) return true;
  if (channel) return has(await policy.channelPermissions(channel), Permission.VIEW_CHANNEL);
  const gone = job.type === 'CHANNEL_DELETE' ? (job.data as ChannelObject) : null;
  if (!gone?.permission_overwrites || isThreadType(gone.channel_type)) return false;
  const overwrites: Overwrite[] = gone.permission_overwrites.map((o) => ({
    id: o.id,
    type: o.type,
    allow: BigInt(o.allow),
    deny: BigInt(o.deny),
  }));
  return has(channelPermissions(policy.facts, overwrites), Permission.VIEW_CHANNEL);
}

/**
 * The `fanout` job: one delivery per enabled subscription of the server that takes this event
 * type, whose channel filter lets it through and whose creator may see it now; then one `deliver`
 * job per delivery. Returns how many deliveries it queued.
 */
export async function fanOut(rt: Runtime, job: WebhookFanoutJob): Promise<number> {
  const candidates = await rt.models.EventWebhook.findAll({
    where: { server_id: job.server_id, enabled: true, events: { [Op.contains]: [job.type] } },
  });
  if (candidates.length === 0) return 0;
  const channel = job.channel_id ? await rt.models.Channel.findByPk(job.channel_id) : null;
  const parentId = channel && isThreadType(channel.channel_type) ? channel.parent_id : null;
  const policies = new Map<string, ServerPolicy | null>();
  const chosen: string[] = [];
  for (const webhook of candidates) {
    if (!inFilter(webhook, job.channel_id, parentId)) continue;
    let policy = policies.get(webhook.creator_id);
    if (policy === undefined) {
      policy = await ServerPolicy.load(rt, job.server_id, webhook.creator_id).catch(() => null);
      policies.set(webhook.creator_id, policy);
    }
    if (await creatorMaySee(policy, channel, job)) chosen.push(webhook.id);
  }
  const deliveries = await storeDeliveries(
    rt,
    {
      event_id: job.event_id,
      type: job.type,
      server_id: job.server_id,
      timestamp: job.timestamp,
      data: job.data,
    },
    chosen,
  );
  for (const delivery of deliveries) await queueDeliveryAttempt(rt, delivery, 1);
  return deliveries.length;
}

import { Op } from 'sequelize';
import { isThreadType, type Row } from '../../shared/db/models/index.js';
import {
  queueDeliveryAttempt,
  storeDeliveries,
  type DeliveryTarget,
} from '../../shared/integrations/event-webhooks.js';
import { maySeeEvent, type EventSubject } from '../../shared/integrations/event-visibility.js';
import { Intent, contentVisibleWithoutIntent, withoutContent } from '../../shared/intents.js';
import { ServerPolicy } from '../../shared/permissions/index.js';
import type { MessageObject } from '../../shared/presenters/types.js';
import type { WebhookFanoutJob } from '../../shared/queues/index.js';
import type { Runtime } from '../../shared/runtime.js';

/** A subscription creator's standing now: their policy (null: not a member) and, for a bot, its intents. */
export interface Creator {
  policy: ServerPolicy | null;
  /** The privileged intents its application's owner enabled; null for a person. */
  botIntents: number | null;
}

/** The creator's standing in the server now (policy, and intents when the creator is a bot). */
export async function loadCreator(rt: Runtime, serverId: string, userId: string): Promise<Creator> {
  const policy = await ServerPolicy.load(rt, serverId, userId).catch(() => null);
  if (!policy) return { policy: null, botIntents: null };
  const user = await rt.models.User.findByPk(userId, { attributes: ['id', 'is_bot'] });
  if (!user?.is_bot) return { policy, botIntents: null };
  const app = await rt.models.Application.findOne({
    where: { bot_user_id: userId },
    attributes: ['intents'],
  });
  return { policy, botIntents: Number(app?.intents ?? 0) };
}

/** Whether a subscription's channel filter lets an event in `channel` through (a thread: its parent's filter). */
function inFilter(webhook: Row<'EventWebhook'>, channelId: string | null, parentId: string | null): boolean {
  if (webhook.channel_ids === null || channelId === null) return true;
  const ids = webhook.channel_ids.map(String);
  return ids.includes(channelId) || (parentId !== null && ids.includes(parentId));
}

/**
 * What a bot's subscription may receive of the event, as its gateway connection would: member
 * events only with the privileged SERVER_MEMBERS intent (or about itself), message content only
 * with MESSAGE_CONTENT (or when it is mentioned or the author). A webhook is no way around the
 * privileged intents. `undefined`: nothing; `same`: the event as it is.
 */
function botView(
  creator: Creator,
  userId: string,
  job: EventSubject,
): 'same' | undefined | { data: unknown } {
  const intents = creator.botIntents;
  if (intents === null) return 'same';
  if (job.type === 'SERVER_MEMBER_ADD' || job.type === 'SERVER_MEMBER_REMOVE') {
    const subject = (job.data as { user?: { id?: string } }).user?.id;
    return (intents & Intent.SERVER_MEMBERS) !== 0 || subject === userId ? 'same' : undefined;
  }
  if (
    (job.type === 'MESSAGE_CREATE' || job.type === 'MESSAGE_UPDATE') &&
    (intents & Intent.MESSAGE_CONTENT) === 0
  ) {
    const message = job.data as MessageObject;
    return contentVisibleWithoutIntent(message, userId, false) ? 'same' : { data: withoutContent(message) };
  }
  return 'same';
}

/**
 * What the subscription's owner may receive of `event` now: nothing (`undefined`) when they are
 * no longer a member or may not see its channel, else the event as it is (`same`) or, for a bot
 * without the privileged intents, its reduced data. The one judgement at fan-out and at each
 * delivery attempt, so a permission lost in between withholds what is still queued.
 */
export async function ownerView(
  creator: Creator,
  ownerId: string,
  channel: Row<'Channel'> | null,
  event: EventSubject,
): Promise<'same' | undefined | { data: unknown }> {
  if (!creator.policy || !(await maySeeEvent(creator.policy, channel, event))) return undefined;
  return botView(creator, ownerId, event);
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
  const creators = new Map<string, Creator>();
  const targets: DeliveryTarget[] = [];
  for (const webhook of candidates) {
    if (!inFilter(webhook, job.channel_id, parentId)) continue;
    let creator = creators.get(webhook.creator_id);
    if (!creator) {
      creator = await loadCreator(rt, job.server_id, webhook.creator_id);
      creators.set(webhook.creator_id, creator);
    }
    const view = await ownerView(creator, webhook.creator_id, channel, job);
    if (view === undefined) continue;
    targets.push(view === 'same' ? { webhook_id: webhook.id } : { webhook_id: webhook.id, data: view.data });
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
    targets,
  );
  for (const delivery of deliveries) await queueDeliveryAttempt(rt, delivery, 1);
  return deliveries.length;
}

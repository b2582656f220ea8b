import { recordAudit, diff, type AuditChange } from '../../shared/audit.js';
import type { Row } from '../../shared/db/models/index.js';
import { ApiError } from '../../shared/errors.js';
import {
  generateWebhookSecret,
  markDisabled,
  queueDeliveryAttempt,
  storeDeliveries,
  webhookSecretBox,
} from '../../shared/integrations/event-webhooks.js';
import { PING_EVENT, type OutgoingEventType } from '../../shared/integrations/event-types.js';
import { invalidateSubscriptions } from '../../shared/integrations/outgoing-events.js';
import type { Runtime } from '../../shared/runtime.js';
import { decodeSnowflake } from '../../shared/snowflake.js';
import {
  manageableEventWebhook,
  managingPolicy,
  mayManageEventWebhook,
  vetChannelFilter,
  visibleFilterChannels,
  vetReceiverUrl,
} from './access.js';
import {
  presentDelivery,
  presentEventWebhook,
  type DeliveryObject,
  type EventWebhookObject,
  type EventWebhookWithSecret,
} from './present.js';

/** The fields a manager sets. */
export interface EventWebhookInput {
  url: string;
  events: OutgoingEventType[];
  channel_ids?: string[] | null;
}

/** A PATCH: any of the fields, and `enabled`. */
export type EventWebhookPatch = Partial<EventWebhookInput> & { enabled?: boolean };

/** Why a manager's `enabled: false` disabled a subscription. */
const DISABLED_BY_MANAGER = 'disabled by a manager';

/** 409 for a test or redelivery to a subscription that is off. */
export const webhookDisabledError = (): ApiError =>
  new ApiError(409, 'webhook_disabled', 'This webhook is disabled: re-enable it (PATCH enabled: true) first');

/** The values the audit log shows (never the secret). */
function auditFields(row: {
  creator_id: string;
  url: string;
  events: string[];
  channel_ids: string[] | null;
  enabled: boolean;
}) {
  return {
    creator_id: row.creator_id,
    url: row.url,
    events: row.events,
    channel_ids: row.channel_ids === null ? null : row.channel_ids.map(String),
    enabled: row.enabled,
  };
}

/** Subscribes a server's events; the answer carries the signing secret, shown this once. */
export async function createEventWebhook(
  rt: Runtime,
  serverId: string,
  userId: string,
  input: EventWebhookInput,
  reason: string | null,
): Promise<EventWebhookWithSecret> {
  const policy = await managingPolicy(rt, serverId, userId);
  await vetReceiverUrl(rt, input.url);
  await vetChannelFilter(rt, policy, input.channel_ids);
  const secret = generateWebhookSecret();
  const id = rt.snowflake.next();
  const limit = rt.config.webhooks.max_per_server;
  const row = await rt.sequelize.transaction(async (transaction) => {
    if ((await rt.models.EventWebhook.count({ where: { server_id: serverId }, transaction })) >= limit) {
      throw new ApiError(400, 'too_many_webhooks', `A server may have at most ${limit} event webhooks`);
    }
    const created = await rt.models.EventWebhook.create(
      {
        id,
        server_id: serverId,
        creator_id: userId,
        url: input.url,
        events: input.events,
        channel_ids: input.channel_ids ?? null,
        secret: webhookSecretBox(rt.config).seal(secret),
        created_at: new Date(decodeSnowflake(id).timestampMs),
      },
      { transaction },
    );
    await recordAudit(
      rt,
      {
        serverId,
        actorId: userId,
        action: 'event_webhook_create',
        targetType: 'event_webhook',
        targetId: id,
        changes: diff({}, auditFields(created)),
        reason,
      },
      transaction,
    );
    return created;
  });
  await invalidateSubscriptions(rt, serverId);
  return { ...presentEventWebhook(row), secret };
}

/**
 * The event webhooks of a server the caller may manage (MANAGE_WEBHOOKS server-wide; their own,
 * and those of owners they outrank with MANAGE_SERVER), oldest first.
 */
export async function listEventWebhooks(
  rt: Runtime,
  serverId: string,
  userId: string,
): Promise<EventWebhookObject[]> {
  const policy = await managingPolicy(rt, serverId, userId);
  const rows = await rt.models.EventWebhook.findAll({
    where: { server_id: serverId },
    order: [['id', 'ASC']],
  });
  const byOwner = new Map<string, boolean>();
  const manageable: Row<'EventWebhook'>[] = [];
  for (const row of rows) {
    let allowed = byOwner.get(row.creator_id);
    if (allowed === undefined) {
      allowed = await mayManageEventWebhook(rt, policy, row);
      byOwner.set(row.creator_id, allowed);
    }
    if (allowed) manageable.push(row);
  }
  const visible = await visibleFilterChannels(rt, policy, manageable);
  return manageable.map((row) => presentEventWebhook(row, visible));
}

/** One event webhook. */
export async function getEventWebhook(
  rt: Runtime,
  webhookId: string,
  userId: string,
): Promise<EventWebhookObject> {
  const { webhook, policy } = await manageableEventWebhook(rt, webhookId, userId);
  return presentEventWebhook(webhook, await visibleFilterChannels(rt, policy, [webhook]));
}

/**
 * Changes the URL, events or channel filter, or turns the subscription off or on: `enabled: true`
 * also clears the failure count and why it was disabled; `enabled: false` ends its pending
 * deliveries. A manager who points someone else's webhook at a new URL becomes its owner: from then
 * on its deliveries carry what the new owner may see, never what the previous one could. Audited
 * as event_webhook_update with the diff.
 */
export async function updateEventWebhook(
  rt: Runtime,
  webhookId: string,
  userId: string,
  patch: EventWebhookPatch,
  reason: string | null,
): Promise<EventWebhookObject> {
  const { webhook, policy } = await manageableEventWebhook(rt, webhookId, userId);
  if (patch.url !== undefined && patch.url !== webhook.url) await vetReceiverUrl(rt, patch.url);
  await vetChannelFilter(rt, policy, patch.channel_ids);
  const visible = await visibleFilterChannels(rt, policy, [webhook]);
  const present = (): EventWebhookObject => presentEventWebhook(webhook, visible);
  const before = auditFields(webhook);
  const fields: Partial<{ url: string; events: string[]; channel_ids: string[] | null; creator_id: string }> =
    {};
  if (patch.url !== undefined) fields.url = patch.url;
  if (patch.url !== undefined && patch.url !== webhook.url && webhook.creator_id !== userId) {
    fields.creator_id = userId;
  }
  if (patch.events !== undefined) fields.events = patch.events;
  if (patch.channel_ids !== undefined) {
    // The editor replaces what they can see of the filter; channels hidden from them stay in it.
    const hidden = (webhook.channel_ids ?? []).map(String).filter((id) => !visible.has(id));
    fields.channel_ids = patch.channel_ids === null ? null : [...new Set([...patch.channel_ids, ...hidden])];
    for (const id of patch.channel_ids ?? []) visible.add(id);
  }
  const reEnable = patch.enabled === true && (!webhook.enabled || webhook.consecutive_failures > 0);
  const disable = patch.enabled === false && webhook.enabled;
  const changes: AuditChange[] = diff(before, {
    ...before,
    ...fields,
    enabled: patch.enabled ?? before.enabled,
  });
  if (changes.length === 0 && !reEnable) return present();
  await rt.sequelize.transaction(async (transaction) => {
    await webhook.update(
      reEnable
        ? { ...fields, enabled: true, disabled_at: null, disabled_reason: null, consecutive_failures: 0 }
        : fields,
      { transaction },
    );
    if (disable) await markDisabled(rt, webhook, DISABLED_BY_MANAGER, transaction);
    if (changes.length > 0) {
      await recordAudit(
        rt,
        {
          serverId: webhook.server_id,
          actorId: userId,
          action: 'event_webhook_update',
          targetType: 'event_webhook',
          targetId: webhook.id,
          changes,
          reason,
        },
        transaction,
      );
    }
  });
  await invalidateSubscriptions(rt, webhook.server_id);
  return present();
}

/** Deletes an event webhook with its delivery log: nothing more is sent to it. */
export async function deleteEventWebhook(
  rt: Runtime,
  webhookId: string,
  userId: string,
  reason: string | null,
): Promise<void> {
  const { webhook } = await manageableEventWebhook(rt, webhookId, userId);
  await rt.sequelize.transaction(async (transaction) => {
    await webhook.destroy({ transaction });
    await recordAudit(
      rt,
      {
        serverId: webhook.server_id,
        actorId: userId,
        action: 'event_webhook_delete',
        targetType: 'event_webhook',
        targetId: webhook.id,
        changes: Object.entries(auditFields(webhook)).map(([key, old]) => ({ key, old })),
        reason,
      },
      transaction,
    );
  });
  await invalidateSubscriptions(rt, webhook.server_id);
}

/** Replaces the signing secret (attempts from now on, retries included, are signed with the new one). */
export async function rotateEventWebhookSecret(
  rt: Runtime,
  webhookId: string,
  userId: string,
  reason: string | null,
): Promise<EventWebhookWithSecret> {
  const { webhook, policy } = await manageableEventWebhook(rt, webhookId, userId);
  const secret = generateWebhookSecret();
  await rt.sequelize.transaction(async (transaction) => {
    await webhook.update({ secret: webhookSecretBox(rt.config).seal(secret) }, { transaction });
    // Which field changed, never the values.
    await recordAudit(
      rt,
      {
        serverId: webhook.server_id,
        actorId: userId,
        action: 'event_webhook_update',
        targetType: 'event_webhook',
        targetId: webhook.id,
        changes: [{ key: 'secret' }],
        reason,
      },
      transaction,
    );
  });
  return { ...presentEventWebhook(webhook, await visibleFilterChannels(rt, policy, [webhook])), secret };
}

/** Sends a PING delivery (data `{webhook_id}`) through the usual delivery path, retries included. */
export async function pingEventWebhook(
  rt: Runtime,
  webhookId: string,
  userId: string,
): Promise<DeliveryObject> {
  const { webhook } = await manageableEventWebhook(rt, webhookId, userId);
  if (!webhook.enabled) throw webhookDisabledError();
  const eventId = rt.snowflake.next();
  const [delivery] = await storeDeliveries(
    rt,
    {
      event_id: eventId,
      type: PING_EVENT,
      server_id: webhook.server_id,
      timestamp: Math.floor(decodeSnowflake(eventId).timestampMs / 1000),
      data: { webhook_id: webhook.id },
    },
    [{ webhook_id: webhook.id }],
  );
  if (!delivery) throw new Error('the ping delivery was not stored');
  await queueDeliveryAttempt(rt, delivery, 1);
  return presentDelivery(delivery);
}

import { diff, recordAudit, type AuditChange } from '../../audit.js';
import { rooms } from '../../events/index.js';
import { markDisabled } from '../../integrations/event-webhooks.js';
import { presentEventWebhook, type EventWebhookObject } from '../../presenters/event-webhook.js';
import { runCommand } from '../../outbox/index.js';
import type { Runtime } from '../../runtime.js';
import { manageableEventWebhook, vetChannelFilter, vetReceiverUrl, visibleFilterChannels } from './access.js';
import { DISABLED_BY_MANAGER, auditFields, type EventWebhookPatch } from './rules.js';

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
  await runCommand(rt, rooms.server(webhook.server_id), async (transaction, fx) => {
    // Their server's subscription summary (Redis) is forgotten once this is committed.
    fx.refresh('event-webhooks', [webhook.server_id]);
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
  return present();
}

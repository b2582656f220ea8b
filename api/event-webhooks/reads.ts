import type { Row } from '../../shared/db/models/index.js';
import {
  manageableEventWebhook,
  managingPolicy,
  mayManageEventWebhook,
  visibleFilterChannels,
} from '../../shared/domain/event-webhooks/access.js';
import { presentEventWebhook, type EventWebhookObject } from '../../shared/presenters/event-webhook.js';
import type { Runtime } from '../../shared/runtime.js';

// Event webhook reads; the changes are domain commands (shared/domain/event-webhooks/).

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

import { diff, recordAudit } from '../../audit.js';
import { ApiError } from '../../errors.js';
import { rooms } from '../../events/index.js';
import { generateWebhookSecret, webhookSecretBox } from '../../integrations/event-webhooks.js';
import { presentEventWebhook, type EventWebhookWithSecret } from '../../presenters/event-webhook.js';
import { runCommand } from '../../outbox/index.js';
import type { Runtime } from '../../runtime.js';
import { decodeSnowflake } from '../../snowflake.js';
import { managingPolicy, vetChannelFilter, vetReceiverUrl } from './access.js';
import { auditFields, type EventWebhookInput } from './rules.js';

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
  const row = await runCommand(rt, rooms.server(serverId), async (transaction, fx) => {
    // Their server's subscription summary (Redis) is forgotten once this is committed.
    fx.refresh('event-webhooks', [serverId]);
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
  return { ...presentEventWebhook(row), secret };
}

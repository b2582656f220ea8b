import { ApiError } from '../../errors.js';
import type { OutgoingEventType } from '../../integrations/event-types.js';

/** The fields a manager sets. */
export interface EventWebhookInput {
  url: string;
  events: OutgoingEventType[];
  channel_ids?: string[] | null;
}

/** A PATCH: any of the fields, and `enabled`. */
export type EventWebhookPatch = Partial<EventWebhookInput> & { enabled?: boolean };

/** Why a manager's `enabled: false` disabled a subscription. */
export const DISABLED_BY_MANAGER = 'disabled by a manager';

/** 409 for a test or redelivery to a subscription that is off. */
export const webhookDisabledError = (): ApiError =>
  new ApiError(409, 'webhook_disabled', 'This webhook is disabled: re-enable it (PATCH enabled: true) first');

/** The values the audit log shows (never the secret). */
export function auditFields(row: {
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

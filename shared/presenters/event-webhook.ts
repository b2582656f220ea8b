import type { DeliveryStatus, Row } from '../db/models/index.js';
import { unixSeconds } from './time.js';

/** An event webhook as its managers see it (never its secret). */
export interface EventWebhookObject {
  id: string;
  server_id: string;
  creator_id: string;
  url: string;
  events: string[];
  channel_ids: string[] | null;
  enabled: boolean;
  disabled_at: number | null;
  disabled_reason: string | null;
  consecutive_failures: number;
  created_at: number;
  updated_at: number | null;
}

/** The answer to creating an event webhook or rotating its secret: the only time the secret is shown. */
export interface EventWebhookWithSecret extends EventWebhookObject {
  secret: string;
}

/** One delivery in the log. */
export interface DeliveryObject {
  id: string;
  webhook_id: string;
  event: string;
  status: DeliveryStatus;
  attempts: number;
  redeliveries: number;
  last_status_code: number | null;
  /** The same value under the name API.md's delivery log gives it ("response code"). */
  response_code: number | null;
  last_error: string | null;
  last_latency_ms: number | null;
  next_attempt_at: number | null;
  created_at: number;
  completed_at: number | null;
  /** The event is in a channel the viewer cannot see: `payload` lacks its `data`. */
  redacted: boolean;
  payload: Record<string, unknown>;
}

/**
 * The event webhook object of a row. `visible` (the channels of its filter the viewer can see):
 * the others are left out of `channel_ids`, which stays a list (null would mean every channel).
 */
export function presentEventWebhook(
  row: Row<'EventWebhook'>,
  visible?: ReadonlySet<string>,
): EventWebhookObject {
  return {
    id: row.id,
    server_id: row.server_id,
    creator_id: row.creator_id,
    url: row.url,
    events: row.events,
    channel_ids:
      row.channel_ids === null
        ? null
        : row.channel_ids.map(String).filter((id) => visible === undefined || visible.has(id)),
    enabled: row.enabled,
    disabled_at: unixSeconds(row.disabled_at),
    disabled_reason: row.disabled_reason,
    consecutive_failures: row.consecutive_failures,
    created_at: unixSeconds(row.created_at),
    updated_at: unixSeconds(row.updated_at ?? null),
  };
}

/**
 * The delivery object of a row; `visible` false (the viewer may not see the event's channel)
 * withholds the event's data, keeping the envelope and the delivery's status.
 */
export function presentDelivery(row: Row<'WebhookDelivery'>, visible = true): DeliveryObject {
  const { data: _data, ...envelope } = row.payload;
  return {
    id: row.id,
    webhook_id: row.webhook_id,
    event: row.event,
    status: row.status,
    attempts: row.attempts,
    redeliveries: row.redeliveries,
    last_status_code: row.last_status_code,
    response_code: row.last_status_code,
    last_error: row.last_error,
    last_latency_ms: row.last_latency_ms,
    next_attempt_at: unixSeconds(row.next_attempt_at),
    created_at: unixSeconds(row.created_at),
    completed_at: unixSeconds(row.completed_at),
    redacted: !visible,
    payload: visible ? row.payload : envelope,
  };
}

import { publicBase } from '../config/public-base.js';
import type { Row } from '../db/models/index.js';
import type { Runtime } from '../runtime.js';
import { unixSeconds } from './time.js';

/** A webhook without its token (the answer to an edit). */
export interface WebhookObject {
  id: string;
  server_id: string;
  channel_id: string;
  creator_id: string;
  name: string;
  avatar_url: string | null;
  created_at: number;
}

/** The answer to creating a webhook or regenerating its token. */
export interface WebhookWithTokenObject extends WebhookObject {
  token: string;
  url: string;
}

/** A webhook in its managers' lists: null token and url when no sealed copy of it is stored. */
export interface ListedWebhookObject extends WebhookObject {
  token: string | null;
  url: string | null;
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

/**
 * The execute URL of a webhook, always absolute (integrations paste it as is): under
 * server.public_url, else the listening address. Built per answer, never stored.
 */
export function webhookUrl(rt: Pick<Runtime, 'config'>, id: string, token: string): string {
  return `${publicBase(rt.config)}/api/v1/webhooks/${id}/${token}`;
}

/** The webhook object with its token and execute URL. */
export function presentWebhookWithToken(
  rt: Pick<Runtime, 'config'>,
  row: Row<'Webhook'>,
  token: string,
): WebhookWithTokenObject {
  return { ...presentWebhook(row), token, url: webhookUrl(rt, row.id, token) };
}

/** The webhook as listed: with its token and execute URL when the token could be opened. */
export function presentListedWebhook(
  rt: Pick<Runtime, 'config'>,
  row: Row<'Webhook'>,
  token: string | null,
): ListedWebhookObject {
  return token === null
    ? { ...presentWebhook(row), token: null, url: null }
    : presentWebhookWithToken(rt, row, token);
}

import type { Config } from '../config/index.js';
import { absoluteUrl } from '../config/public-base.js';
import type { Row } from '../db/models/index.js';
import { resolveAttachment } from './attachment.js';
import { isLinkEmbed } from './embed.js';
import { unixSeconds } from './time.js';
import type { MessageObject } from './types.js';

/** The columns presentMessage reads: a model instance, or a plain row of a prepared statement. */
export type MessageRecord = Pick<
  Row<'Message'>,
  | 'id'
  | 'channel_id'
  | 'author_id'
  | 'type'
  | 'content'
  | 'nonce'
  | 'nonce_is_integer'
  | 'created_at'
  | 'edited_at'
  | 'attachments'
  | 'embeds'
  | 'pinned'
  | 'content_html'
  | 'mentions'
  | 'mention_roles'
  | 'mention_everyone'
  | 'reply_to'
  | 'thread_id'
  | 'webhook_id'
  | 'webhook_author'
  | 'interaction'
>;

/**
 * The API's message object for a stored row, without reactions (`reactions: []`): a new message has
 * none; presentMessages in message-reactions.ts adds them for stored ones. Its media URLs are
 * absolute (resolveMessage).
 */
export function presentMessage(config: Pick<Config, 'server'>, row: MessageRecord): MessageObject {
  return resolveMessage(config, storedMessageObject(row));
}

/**
 * The message object with its media URLs as the row stores them (a bare path without
 * server.public_url): for what is stored again (a report's snapshot), resolved when handed out.
 */
export function storedMessageObject(row: MessageRecord): MessageObject {
  return {
    id: row.id,
    channel_id: row.channel_id,
    author_id: row.author_id,
    type: row.type,
    content: row.content,
    nonce: row.nonce !== null && row.nonce_is_integer ? Number(row.nonce) : row.nonce,
    created_at: unixSeconds(row.created_at),
    edited_at: unixSeconds(row.edited_at),
    attachments: row.attachments,
    embeds: row.embeds,
    pinned: row.pinned,
    content_html: row.content_html,
    mentions: row.mentions.map(String),
    mention_roles: row.mention_roles.map(String),
    mention_everyone: row.mention_everyone,
    reply_to: row.reply_to,
    reactions: [],
    thread_id: row.thread_id,
    webhook_id: row.webhook_id ?? null,
    // Clients show the webhook, never the creator it is stored under (author_id: see the guide).
    ...(row.webhook_id && row.webhook_author
      ? { author: { id: row.webhook_id, ...row.webhook_author, bot: true as const } }
      : {}),
    ...(row.interaction ? { interaction: row.interaction } : {}),
  };
}

/**
 * A message object built from stored columns as handed out: the URLs of its attachments and of its
 * link previews' proxied images absolute (absoluteUrl). The history page does the same to its JSON
 * (api/messages/history.ts).
 */
export function resolveMessage(config: Pick<Config, 'server'>, message: MessageObject): MessageObject {
  const { attachments, embeds } = message;
  if (attachments.length === 0 && embeds.length === 0) return message;
  return {
    ...message,
    attachments: attachments.map((a) => resolveAttachment(config, a)),
    embeds: embeds.map((e) => resolveLinkEmbed(config, e)),
  };
}

function resolveLinkEmbed(
  config: Pick<Config, 'server'>,
  embed: Record<string, unknown>,
): Record<string, unknown> {
  const image = embed.image as { url?: unknown } | null | undefined;
  if (!isLinkEmbed(embed) || typeof image?.url !== 'string') return embed;
  return { ...embed, image: { ...image, url: absoluteUrl(config, image.url) } };
}

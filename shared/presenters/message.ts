import type { Row } from '../db/models/index.js';
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
 * none; presentMessages in message-reactions.ts adds them for stored ones.
 */
export function presentMessage(row: MessageRecord): MessageObject {
  return {
    id: row.id,
    channel_id: row.channel_id,
    author_id: row.author_id,
    type: row.type,
    content: row.content,
    nonce: row.nonce,
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

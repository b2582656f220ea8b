import type { Config } from '../config/index.js';
import type { NotificationType, Row } from '../db/models/index.js';
import { unixSeconds } from './time.js';
import type { UserObject } from './types.js';
import { presentUser } from './user.js';

/** A user's reading position in one channel. */
export interface ReadStateObject {
  channel_id: string;
  last_read_message_id: string | null;
  /** Mentions of the user after last_read_message_id. */
  mention_count: number;
  /** Whether a message newer than last_read_message_id exists. */
  unread: boolean;
}

/** What MESSAGE_ACK tells the user's other sessions. */
export interface MessageAckObject {
  channel_id: string;
  message_id: string;
  mention_count: number;
}

/** The longest content excerpt a notification carries (characters). */
export const NOTIFICATION_EXCERPT_LENGTH = 200;

/** A mention or reply the user was notified of, or (webhook_disabled) one of their event webhooks was disabled. */
export interface NotificationObject {
  id: string;
  type: NotificationType;
  read: boolean;
  created_at: number;
  server_id: string | null;
  /** Null for notifications that concern no message (webhook_disabled); likewise message_id, author_id, message. */
  channel_id: string | null;
  message_id: string | null;
  author_id: string | null;
  /** The message, compactly: its author and the first characters of its content. */
  message: { id: string; channel_id: string; author: UserObject | null; content: string } | null;
  /** webhook_disabled only: the event webhook, its URL and why it was disabled. */
  webhook?: { id: string; url: string; reason: string };
}

/** The first NOTIFICATION_EXCERPT_LENGTH characters of `content` (an ellipsis marks a cut). */
export function excerpt(content: string): string {
  const chars = [...content];
  return chars.length <= NOTIFICATION_EXCERPT_LENGTH
    ? content
    : `${chars.slice(0, NOTIFICATION_EXCERPT_LENGTH - 1).join('')}…`;
}

/** The notification object; `message` and `author` are null-safe for a message that has since gone. */
export function presentNotification(
  config: Pick<Config, 'server'>,
  row: Row<'Notification'>,
  message: { content: string } | null,
  author: Row<'User'> | null,
): NotificationObject {
  if (row.message_id === null || row.channel_id === null) {
    const text = (value: unknown): string => (typeof value === 'string' ? value : '');
    return {
      id: row.id,
      type: row.type,
      read: row.read,
      created_at: unixSeconds(row.created_at),
      server_id: row.server_id,
      channel_id: null,
      message_id: null,
      author_id: null,
      message: null,
      webhook: {
        id: String(row.webhook_id),
        url: text(row.detail?.url),
        reason: text(row.detail?.reason),
      },
    };
  }
  return {
    id: row.id,
    type: row.type,
    read: row.read,
    created_at: unixSeconds(row.created_at),
    server_id: row.server_id,
    channel_id: row.channel_id,
    message_id: row.message_id,
    author_id: row.author_id,
    message: {
      id: row.message_id,
      channel_id: row.channel_id,
      author: author ? presentUser(config, author) : null,
      content: excerpt(message?.content ?? ''),
    },
  };
}

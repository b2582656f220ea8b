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

/** A mention or reply the user was notified of. */
export interface NotificationObject {
  id: string;
  type: NotificationType;
  read: boolean;
  created_at: number;
  server_id: string | null;
  channel_id: string;
  message_id: string;
  author_id: string;
  /** The message, compactly: its author and the first characters of its content. */
  message: { id: string; channel_id: string; author: UserObject | null; content: string };
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
  row: Row<'Notification'>,
  message: { content: string } | null,
  author: Row<'User'> | null,
): NotificationObject {
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
      author: author ? presentUser(author) : null,
      content: excerpt(message?.content ?? ''),
    },
  };
}

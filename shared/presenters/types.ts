import type { MessageInteraction, RelationshipStatus } from '../db/models/index.js';

/**
 * The public object shapes of spec/data-types.txt and API.md, as clients receive them: IDs are
 * decimal strings, timestamps unix seconds.
 */
export interface UserObject {
  id: string;
  username: string;
  avatar_url: string | null;
  created_at: number;
  /** Present (true) only for bot users; the caller's own object always has it. */
  bot?: boolean;
  /** Present (true) only for the placeholder of a deleted account (`deleted_user_<id>`). */
  deleted?: true;
}

export interface ServerObject {
  id: string;
  name: string;
  description: string | null;
  icon_url: string | null;
  owner_id: string;
  member_count: number;
  created_at: number;
}

/** A channel's permission overwrite for a role (id = role id, the server id for @everyone) or a member. */
export interface OverwriteObject {
  id: string;
  type: 'role' | 'member';
  allow: string;
  deny: string;
}

export interface ChannelObject {
  id: string;
  server_id: string | null;
  parent_id: string | null;
  name: string;
  channel_type: string;
  topic: string | null;
  position: number;
  nsfw: boolean;
  slowmode_seconds: number;
  created_at: number;
  /** Voice and stage channels: most members connected at once (0: no limit). */
  user_limit?: number;
  /** Voice and stage channels: bits per second clients should encode at. */
  bitrate?: number;
}

/** A server channel that is not a thread: the channel object plus its permission overwrites. */
export interface ServerChannelObject extends ChannelObject {
  permission_overwrites: OverwriteObject[];
}

/** A DM or notes channel: the channel object plus the people in it other than the viewer. */
export interface PrivateChannelObject extends ChannelObject {
  recipients: UserObject[];
}

/** One relationship from the viewer's side: `id` is the other user's id. */
export interface RelationshipObject {
  id: string;
  user: UserObject;
  status: RelationshipStatus;
}

export interface AttachmentObject {
  id: string;
  filename: string;
  content_type: string;
  size: number;
  url: string;
  width?: number;
  height?: number;
  /** A WebP thumbnail (images), once the media worker made it. */
  thumbnail_url?: string;
  /** Dominant color `#rrggbb` (images). */
  color?: string;
  /** Frames of an animated image. */
  frames?: number;
  /** Length of audio or video, when the container tells it. */
  duration_seconds?: number;
  codec?: string;
}

/** One emoji's reactions on a message; `me` is relative to whoever the object was presented for. */
export interface ReactionObject {
  /** A unicode emoji sequence, or a custom emoji as `name:id`. */
  emoji: string;
  count: number;
  me: boolean;
}

export interface MessageObject {
  id: string;
  channel_id: string;
  author_id: string;
  type: string;
  content: string;
  /** As sent: a string, or an integer (a safe one: larger ones come back as strings). */
  nonce: string | number | null;
  created_at: number;
  edited_at: number | null;
  attachments: AttachmentObject[];
  embeds: Record<string, unknown>[];
  pinned: boolean;
  /** Sanitized HTML rendering of `content` (Markdown, mentions, custom emoji). */
  content_html: string;
  /** IDs of the users mentioned. */
  mentions: string[];
  /** IDs of the roles mentioned (only those the author could mention). */
  mention_roles: string[];
  mention_everyone: boolean;
  reply_to: string | null;
  /** Reactions in the order each emoji was first added; `me` is false in gateway payloads. */
  reactions: ReactionObject[];
  /** The thread this message started (a thread_created notice: the thread it announces). */
  thread_id: string | null;
  /** The incoming webhook that posted it; null for everything else. */
  webhook_id: string | null;
  /** Webhook messages only: who to show instead of the author (`id` is the webhook's). */
  author?: WebhookAuthorObject;
  /** A bot's answer to a slash command only: the interaction it answers. */
  interaction?: MessageInteraction;
  /** Only `["ephemeral"]` so far: an answer shown to the invoking user alone, never stored. */
  flags?: string[];
}

/** How a webhook message's author is shown: the webhook, under the name it posted with. */
export interface WebhookAuthorObject {
  id: string;
  username: string;
  avatar_url: string | null;
  bot: true;
}

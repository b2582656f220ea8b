import type { Transaction } from 'sequelize';
import { QueryTypes } from 'sequelize';
import type { Attributes, NotificationType, Row } from '../../db/models/index.js';
import { rooms } from '../../events/index.js';
import type { Effects } from '../../outbox/index.js';
import { prepared, runPrepared } from '../../db/prepared.js';
import { channelViewers } from '../../permissions/viewers.js';
import { presentNotification } from '../../presenters/read-state.js';
import { PresenceTracker } from '../../presence/tracker.js';
import type { Runtime } from '../../runtime.js';
import { decodeSnowflake } from '../../snowflake.js';

/** The members of server $1 who hold any of the roles $2. */
const ROLE_HOLDERS = prepared<{ user_id: string }>(
  'recipients_role_holders',
  'SELECT user_id FROM member_roles WHERE server_id = $1 AND role_id = ANY($2::bigint[])',
);
/** The author of message $1. */
const AUTHOR_OF = prepared<{ author_id: string }>(
  'recipients_reply_author',
  'SELECT author_id FROM messages WHERE id = $1',
);
/** Which of the users $1 blocked the user $2. */
const BLOCKERS = prepared<{ user_id: string }>(
  'recipients_blockers',
  "SELECT user_id FROM relationships WHERE user_id = ANY($1::bigint[]) AND target_id = $2 AND status = 'blocked'",
);

/** Someone a stored message notifies, and why. */
export interface Recipient {
  userId: string;
  type: NotificationType;
}

/** The fields of a message that decide who it notifies. */
export interface MentionFacts {
  author_id: string;
  type: string;
  mentions: string[];
  mention_roles: string[];
  mention_everyone: boolean;
  /** The broadcast was @here only: it reaches those online, not everyone who can see the channel. */
  here_only?: boolean;
  /** Posted by a webhook (author_id is then the webhook's creator, not the writer). */
  from_webhook?: boolean;
  reply_to: string | null;
}

/**
 * Message types people write. System notices (thread_created, pins, joins) notify nobody: their
 * content is not a message to anyone (a thread's name must not ping).
 */
const AUTHORED_TYPES = new Set(['default', 'reply']);

/**
 * Who a message notifies: the users it mentions, the holders of the roles it mentions, everyone
 * who can see the channel for @everyone/@here (a mention), and the author of the message it
 * replies to (a reply, unless also mentioned). Never the author, nobody who cannot view the
 * channel, nobody who blocked the author. @here reaches only those others see online (online,
 * idle, dnd), plus anyone mentioned otherwise.
 */
export async function findRecipients(
  rt: Runtime,
  channel: Attributes<'Channel'>,
  message: MentionFacts,
): Promise<Recipient[]> {
  if (!AUTHORED_TYPES.has(message.type)) return [];
  const mentioned = new Set(message.mentions);
  if (message.mention_roles.length > 0 && channel.server_id !== null) {
    const holders = await runPrepared(rt.sequelize, ROLE_HOLDERS, [channel.server_id, message.mention_roles]);
    for (const h of holders) mentioned.add(h.user_id);
  }
  const [target] = message.reply_to ? await runPrepared(rt.sequelize, AUTHOR_OF, [message.reply_to]) : [];
  const repliedTo = target?.author_id ?? null;
  const candidates = message.mention_everyone
    ? 'everyone'
    : [...new Set([...mentioned, ...(repliedTo ? [repliedTo] : [])])];
  const viewers = await channelViewers(rt, channel, candidates);
  if (message.mention_everyone && message.here_only) {
    const online = await new PresenceTracker(rt).onlineAmong([...viewers]);
    for (const id of viewers) {
      if (!online.has(id) && !mentioned.has(id) && id !== repliedTo) viewers.delete(id);
    }
  }
  // A webhook's message is stored under its creator, who did not write it: they may be notified.
  if (!message.from_webhook) viewers.delete(message.author_id);
  if (viewers.size === 0) return [];
  const blockers = await runPrepared(rt.sequelize, BLOCKERS, [[...viewers], message.author_id]);
  for (const b of blockers) viewers.delete(b.user_id);
  return [...viewers].map((userId) => ({
    userId,
    type: message.mention_everyone || mentioned.has(userId) ? 'mention' : 'reply',
  }));
}

/**
 * Stores the notifications of a just-inserted message and counts its mentions in the recipients'
 * read states (only where they have not read past it), in the insert's transaction.
 */
export async function recordNotifications(
  rt: Runtime,
  message: Row<'Message'>,
  serverId: string | null,
  recipients: Recipient[],
  transaction: Transaction,
): Promise<Row<'Notification'>[]> {
  if (recipients.length === 0) return [];
  const mentioned = recipients.filter((r) => r.type === 'mention').map((r) => r.userId);
  if (mentioned.length > 0) {
    await rt.sequelize.query(
      `INSERT INTO read_states (user_id, channel_id, mention_count, updated_at)
       SELECT u, $2, 1, now() FROM unnest($1::bigint[]) AS u
       ON CONFLICT (user_id, channel_id) DO UPDATE
         SET mention_count = read_states.mention_count + 1, updated_at = now()
         WHERE read_states.last_read_message_id IS NULL OR read_states.last_read_message_id < $3`,
      { bind: [mentioned, message.channel_id, message.id], type: QueryTypes.INSERT, transaction },
    );
  }
  return rt.models.Notification.bulkCreate(
    recipients.map((r) => {
      const id = rt.snowflake.next();
      return {
        id,
        user_id: r.userId,
        type: r.type,
        message_id: message.id,
        channel_id: message.channel_id,
        server_id: serverId,
        author_id: message.author_id,
        created_at: new Date(decodeSnowflake(id).timestampMs),
      };
    }),
    { transaction },
  );
}

/** In the message's command: NOTIFICATION_CREATE to each recipient's own room. */
export async function notificationEffects(
  rt: Runtime,
  fx: Effects,
  message: Row<'Message'>,
  notifications: Row<'Notification'>[],
  transaction: Transaction,
): Promise<void> {
  if (notifications.length === 0) return;
  const author = await rt.models.User.findByPk(message.author_id, { transaction });
  for (const n of notifications) {
    fx.dispatch(
      [rooms.user(n.user_id)],
      'NOTIFICATION_CREATE',
      presentNotification(rt.config, n, message, author),
    );
  }
}

import { prepared, runPrepared, type PreparedStatement } from '../../shared/db/prepared.js';
import { presentMessage, type MessageRecord } from '../../shared/presenters/message.js';
import type { MessageObject, ReactionObject } from '../../shared/presenters/types.js';
import type { Runtime } from '../../shared/runtime.js';

/** A page request: newest first with `before` or neither; oldest first with `after` (and both). */
export interface HistoryPage {
  limit: number;
  before?: string;
  after?: string;
}

type HistoryRow = MessageRecord & { reactions: ReactionObject[] | null };

/**
 * One statement per page shape ($1 channel, $2 limit, $3 viewer, then the bounds): the page off the
 * (channel_id, id DESC) index, each message's reactions summarized beside it (one summary per emoji
 * in the order each was first added, `me` for the viewer), so a page is one round trip.
 */
function historyStatement(
  name: string,
  bounds: string,
  order: 'ASC' | 'DESC',
): PreparedStatement<HistoryRow> {
  return prepared<HistoryRow>(
    `history_${name}`,
    `SELECT m.id, m.channel_id, m.author_id, m.type, m.content, m.nonce, m.created_at, m.edited_at,
            m.attachments, m.embeds, m.pinned, m.content_html, m.mentions, m.mention_roles,
            m.mention_everyone, m.reply_to, m.thread_id, m.webhook_id, m.webhook_author, m.interaction,
            r.reactions
       FROM (SELECT * FROM messages WHERE channel_id = $1 ${bounds} ORDER BY id ${order} LIMIT $2) m
       LEFT JOIN LATERAL (
         SELECT json_agg(json_build_object('emoji', s.emoji, 'count', s.count, 'me', s.me)
                         ORDER BY s.first, s.emoji) AS reactions
           FROM (SELECT emoji, count(*)::int AS count, coalesce(bool_or(user_id = $3), false) AS me,
                        min(created_at) AS first
                   FROM message_reactions WHERE message_id = m.id GROUP BY emoji) s
       ) r ON true
      ORDER BY m.id ${order}`,
  );
}

const NEWEST = historyStatement('newest', '', 'DESC');
const BEFORE = historyStatement('before', 'AND id < $4', 'DESC');
const AFTER = historyStatement('after', 'AND id > $4', 'ASC');
const BETWEEN = historyStatement('between', 'AND id < $4 AND id > $5', 'ASC');

/**
 * A page of a channel's history as message objects (`me` relative to `viewerId`), read with one
 * prepared statement and presented from plain rows: the read path of GET /channels/{id}/messages.
 */
export async function historyPage(
  rt: Pick<Runtime, 'sequelize'>,
  channelId: string,
  viewerId: string,
  page: HistoryPage,
): Promise<MessageObject[]> {
  const base = [channelId, page.limit, viewerId];
  const rows =
    page.before && page.after
      ? await runPrepared(rt.sequelize, BETWEEN, [...base, page.before, page.after])
      : page.before
        ? await runPrepared(rt.sequelize, BEFORE, [...base, page.before])
        : page.after
          ? await runPrepared(rt.sequelize, AFTER, [...base, page.after])
          : await runPrepared(rt.sequelize, NEWEST, base);
  return rows.map((row) => ({ ...presentMessage(row), reactions: row.reactions ?? [] }));
}

import { prepared, runPrepared, type PreparedStatement } from '../../shared/db/prepared.js';
import { publicBase } from '../../shared/config/public-base.js';
import type { Runtime } from '../../shared/runtime.js';

/** A page request: newest first with `before` or neither; oldest first with `after` (and both). */
export interface HistoryPage {
  limit: number;
  before?: string;
  after?: string;
}

/**
 * The message object of shared/presenters/message.ts (presentMessage, with reactions as
 * presentMessages sums them), built by Postgres from a row `m` of messages and its reactions `r`:
 * the page leaves the database as the JSON the API answers with, so a page of 50 costs the web
 * process one text field instead of parsing ~1,000 fields, building 50 objects and serializing them
 * again (the hottest read: a client scrolling back, every channel opened). Kept equal to
 * presentMessage by test/api/messages/history.test.ts.
 */
const MESSAGE_OBJECT = `json_build_object(
    'id', m.id::text, 'channel_id', m.channel_id::text, 'author_id', m.author_id::text, 'type', m.type,
    'content', m.content,
    'nonce', CASE WHEN m.nonce_is_integer THEN to_json(m.nonce::numeric) ELSE to_json(m.nonce) END,
    'created_at', floor(extract(epoch FROM m.created_at))::bigint,
    'edited_at', floor(extract(epoch FROM m.edited_at))::bigint,
    'attachments', m.attachments, 'embeds', m.embeds, 'pinned', m.pinned, 'content_html', m.content_html,
    'mentions', to_json(m.mentions::text[]), 'mention_roles', to_json(m.mention_roles::text[]),
    'mention_everyone', m.mention_everyone, 'reply_to', m.reply_to::text,
    'reactions', coalesce(r.reactions, '[]'::json), 'thread_id', m.thread_id::text,
    'webhook_id', m.webhook_id::text)`;

/**
 * The keys presentMessage adds only to some messages: a webhook's message shows the webhook as its
 * author (never the creator it is stored under), a slash command's answer its interaction.
 */
const OPTIONAL_KEYS = `CASE WHEN (m.webhook_id IS NULL OR m.webhook_author IS NULL) AND m.interaction IS NULL
    THEN b.base
    ELSE (b.base::jsonb
      || CASE WHEN m.webhook_id IS NOT NULL AND m.webhook_author IS NOT NULL
           THEN jsonb_build_object('author',
             jsonb_build_object('id', m.webhook_id::text) || m.webhook_author || '{"bot": true}'::jsonb)
           ELSE '{}'::jsonb END
      || CASE WHEN m.interaction IS NOT NULL THEN jsonb_build_object('interaction', m.interaction)
           ELSE '{}'::jsonb END)::json
  END`;

/**
 * One statement per page shape ($1 channel, $2 limit, $3 viewer, then the bounds): the page off the
 * (channel_id, id DESC) index, each message's reactions summarized beside it (one summary per emoji
 * in the order each was first added, `me` for the viewer), the whole page one JSON array.
 */
function historyStatement(
  name: string,
  bounds: string,
  order: 'ASC' | 'DESC',
): PreparedStatement<{ page: string }> {
  return prepared<{ page: string }>(
    `history_json_${name}`,
    `SELECT coalesce(json_agg(${OPTIONAL_KEYS} ORDER BY m.id ${order}), '[]')::text AS page
       FROM (SELECT * FROM messages WHERE channel_id = $1 ${bounds} ORDER BY id ${order} LIMIT $2) m
       LEFT JOIN LATERAL (
         SELECT json_agg(json_build_object('emoji', s.emoji, 'count', s.count, 'me', s.me)
                         ORDER BY s.first, s.emoji) AS reactions
           FROM (SELECT emoji, count(*)::int AS count, coalesce(bool_or(user_id = $3), false) AS me,
                        min(created_at) AS first
                   FROM message_reactions WHERE message_id = m.id GROUP BY emoji) s
       ) r ON true
       CROSS JOIN LATERAL (SELECT ${MESSAGE_OBJECT} AS base) b`,
  );
}

const NEWEST = historyStatement('newest', '', 'DESC');
const BEFORE = historyStatement('before', 'AND id < $4', 'DESC');
const AFTER = historyStatement('after', 'AND id > $4', 'ASC');
const BETWEEN = historyStatement('between', 'AND id < $4 AND id > $5', 'ASC');

/** The page statement with a `before` bound: bench/stack-floor.ts runs it as the page does. */
export const HISTORY_BEFORE_STATEMENT = BEFORE;

/**
 * A page of a channel's history as the JSON text of its message objects (`me` relative to
 * `viewerId`), one prepared statement: the read path of GET /channels/{id}/messages.
 */
export async function historyPageJson(
  rt: Pick<Runtime, 'sequelize' | 'config'>,
  channelId: string,
  viewerId: string,
  page: HistoryPage,
): Promise<string> {
  const base = [channelId, page.limit, viewerId];
  const [row] =
    page.before && page.after
      ? await runPrepared(rt.sequelize, BETWEEN, [...base, page.before, page.after])
      : page.before
        ? await runPrepared(rt.sequelize, BEFORE, [...base, page.before])
        : page.after
          ? await runPrepared(rt.sequelize, AFTER, [...base, page.after])
          : await runPrepared(rt.sequelize, NEWEST, base);
  return absoluteMediaUrls(rt.config, row?.page ?? '[]');
}

/**
 * A stored URL (attachments' `url`/`thumbnail_url`, a link preview image's proxied `url`) that is a
 * bare path (`/api/v1/...`): stored where no server.public_url was set. Every other `url` in a
 * message (a link's page, a rich embed's) is absolute (httpUrl), so only these match, as
 * absoluteUrl resolves them. In JSON text a quote inside a string is always escaped, so `"url": "`
 * only ever is a key and the start of its value, never message content.
 */
const STORED_PATH_VALUE = /("(?:url|thumbnail_url)"\s*:\s*")(\/(?!\/))/g;

/** The page's stored media URLs made absolute, as resolveMessage does for a message object. */
function absoluteMediaUrls(config: Runtime['config'], page: string): string {
  const base = JSON.stringify(publicBase(config)).slice(1, -1);
  return page.replace(STORED_PATH_VALUE, (_all, key: string, path: string) => `${key}${base}${path}`);
}

import { QueryTypes } from 'sequelize';
import { ApiError } from '../../../shared/errors.js';
import { SYSTEM_MESSAGE_TYPES } from '../../../shared/messages/system-messages.js';
import { Permission, ServerPolicy, viewableServerChannels } from '../../../shared/permissions/index.js';
import { pageSql } from '../../../shared/pagination.js';
import { presentMessages } from '../../../shared/presenters/message-reactions.js';
import type { MessageObject } from '../../../shared/presenters/types.js';
import type { Runtime } from '../../../shared/runtime.js';
import { defineRoute, type AnyRoute } from '../route.js';
import { searchParams, searchQuery, searchResult, type SearchHas } from './schema.js';
import { blankContent, lacksMessageContent } from '../../applications/message-content.js';

interface SearchQuery {
  content?: string;
  author_id?: string;
  channel_id?: string;
  has?: SearchHas[];
  limit: number;
  before?: string;
  after?: string;
}

/**
 * Channel types with messages in a server. Threads are readable with their parent's permissions;
 * private ones only by their members and MANAGE_THREADS (viewableServerChannels applies both).
 */
const SEARCHED_TYPES = new Set(['text', 'public_thread', 'private_thread']);

/** An attachment whose sniffed type is of `kind` (image, video, audio). */
const attachmentOf = (kind: string): string =>
  `EXISTS (SELECT 1 FROM jsonb_array_elements(attachments) a WHERE a->>'content_type' LIKE '${kind}/%')`;

/** SQL for each `has` value; file and embed read columns the media and embeds pipelines fill. */
const HAS_SQL: Record<SearchHas, string> = {
  link: `content ~* 'https?://[^[:space:]]'`,
  file: `attachments <> '[]'::jsonb`,
  embed: `embeds <> '[]'::jsonb`,
  image: attachmentOf('image'),
  video: attachmentOf('video'),
  sound: attachmentOf('audio'),
};

/** GET /servers/{server_id}/messages/search. */
export function searchRoutes(rt: Runtime): AnyRoute[] {
  const { Message } = rt.models;

  return [
    defineRoute<{ server_id: string }, SearchQuery>({
      method: 'get',
      path: '/servers/{server_id}/messages/search',
      access: 'user',
      summary: 'Search the server’s messages',
      description:
        'Only messages in channels where the caller has VIEW_CHANNEL and READ_MESSAGE_HISTORY are searched, and ' +
        '`total_results` counts only those. Filters combine (all must hold): `content` is full-text ' +
        '(Postgres `websearch_to_tsquery` with the `simple` configuration: whole words, case-insensitive, no ' +
        'stemming; "quoted phrases", `or`, `-word`); `author_id`; `channel_id` (a channel the caller cannot read ' +
        'gives no results, as an unknown one does); `has` (repeatable): `link` = the content holds an http(s) ' +
        'URL, `file` = the message has attachments, `image` / `video` / `sound` = one of them is an image / video ' +
        '/ audio file (Discord’s values), `embed` = it has embeds (filled by the media and link ' +
        'preview pipelines: until those run, nothing matches). Paged like every list, by message id: ' +
        '`limit` 1-100 (default 50); newest first with `before` or with neither, oldest first with `after` ' +
        '(with both, the matches strictly between them); `total_results` counts every match, whatever the ' +
        'cursor. To walk all results, pass the last id of a page as the next `before`. System messages (joins, pins, renames, thread notices) are not searched. A bot whose ' +
        'application has not enabled MESSAGE_CONTENT cannot search by `content` and gets results without content.',
      tags: ['Messages'],
      params: searchParams,
      query: searchQuery,
      responses: {
        200: { description: 'One page of matches and the number of all matches', schema: searchResult },
        400: { description: 'A bad filter (named)' },
        403: { description: '`missing_intent`: a bot without MESSAGE_CONTENT searching by `content`' },
        404: { description: 'Unknown server, or the caller is not a member' },
      },
      handler: async ({ params, query, auth }) => {
        const policy = await ServerPolicy.load(rt, params.server_id, auth.user.id);
        const blind = await lacksMessageContent(rt, auth);
        if (blind && query.content) {
          throw new ApiError(403, 'missing_intent', 'Searching by content needs the MESSAGE_CONTENT intent');
        }
        const readable = await viewableServerChannels(rt.models, policy.facts, {
          threads: true,
          needed: Permission.READ_MESSAGE_HISTORY,
        });
        const channelIds = readable
          .filter((c) => SEARCHED_TYPES.has(c.channel_type))
          .map((c) => c.id)
          .filter((id) => query.channel_id === undefined || id === query.channel_id);
        const empty: { total_results: number; messages: MessageObject[] } = {
          total_results: 0,
          messages: [],
        };
        if (channelIds.length === 0) return empty;

        const bind: unknown[] = [channelIds, [...SYSTEM_MESSAGE_TYPES]];
        const where = ['channel_id = ANY($1::bigint[])', 'type <> ALL($2::varchar[])'];
        const param = (value: unknown): string => {
          bind.push(value);
          return `$${bind.length}`;
        };
        // The same expression as the GIN index of migration 0005, so the index serves it.
        if (query.content) {
          where.push(
            `to_tsvector('simple', content) @@ websearch_to_tsquery('simple', ${param(query.content)})`,
          );
        }
        if (query.author_id) where.push(`author_id = ${param(query.author_id)}`);
        for (const has of query.has ?? []) where.push(HAS_SQL[has]);
        const condition = where.join(' AND ');

        const [counted] = await rt.sequelize.query<{ total: number }>(
          `SELECT count(*)::int AS total FROM messages WHERE ${condition}`,
          { bind, type: QueryTypes.SELECT },
        );
        const total = counted?.total ?? 0;
        if (total === 0) return empty;
        // The cursor narrows the page, not the count: ids are unique, so pages never overlap.
        const page = pageSql('id', query, param);
        const rows = await rt.sequelize.query(
          `SELECT * FROM messages WHERE ${[condition, ...page.conditions].join(' AND ')}
            ORDER BY id ${page.order} LIMIT ${param(query.limit)}`,
          { bind, type: QueryTypes.SELECT, model: Message, mapToModel: true },
        );
        const messages = await presentMessages(rt, rows, auth.user.id);
        return {
          total_results: total,
          messages: blind ? blankContent(messages, auth.user.id) : messages,
        };
      },
    }),
  ];
}

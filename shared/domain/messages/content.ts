import type { Attributes } from '../../db/models/index.js';
import { extractMentions, renderMessageHtml } from '../../markdown/index.js';
import type { Runtime } from '../../runtime.js';
import { prepared, runPrepared } from '../../db/prepared.js';
import { storedMediaUrl } from '../../storage/urls.js';
import { isSnowflake } from '../../snowflake.js';

/** The users ($1) that exist. */
const USERS = prepared<{ id: string; username: string }>(
  'content_users',
  'SELECT id, username FROM users WHERE id = ANY($1::bigint[])',
);
/** The roles ($1) of the server $2. */
const ROLES = prepared<{ id: string; name: string; mentionable: boolean }>(
  'content_roles',
  'SELECT id, name, mentionable FROM roles WHERE id = ANY($1::bigint[]) AND server_id = $2',
);
/** The custom emoji ($1) of the server $2; EMOJIS: of any server. */
const SERVER_EMOJIS = prepared<{ id: string; webp_key: string }>(
  'content_server_emojis',
  'SELECT id, webp_key FROM emojis WHERE id = ANY($1::bigint[]) AND server_id = $2',
);
const EMOJIS = prepared<{ id: string; webp_key: string }>(
  'content_emojis',
  'SELECT id, webp_key FROM emojis WHERE id = ANY($1::bigint[])',
);

/** What the worker stores beside a message's content. */
export interface RenderedContent {
  content_html: string;
  mentions: string[];
  mention_roles: string[];
  mention_everyone: boolean;
}

/**
 * Renders content and resolves its mentions against what exists and what the author may do:
 * users who exist; roles of this server that are mentionable (any role with MENTION_EVERYONE);
 * @everyone/@here only with MENTION_EVERYONE. Channel mentions carry only the id: readers resolve
 * names from the channels they can see, so the HTML never leaks a hidden channel's name.
 */
export async function renderContent(
  rt: Runtime,
  channel: Pick<Attributes<'Channel'>, 'server_id'>,
  content: string,
  allowEveryone: boolean,
): Promise<RenderedContent> {
  const found = extractMentions(content);
  // Ids the parser accepts but no bigint column holds (`<@99999999999999999999>`) mention nobody;
  // letting them reach a query would fail the job and lose the message.
  found.users = found.users.filter(isSnowflake);
  found.roles = found.roles.filter(isSnowflake);
  const serverId = channel.server_id;
  const emojiIds = found.emojis.map((e) => e.id).filter(isSnowflake);
  const [users, roles, emojis] = await Promise.all([
    found.users.length ? runPrepared(rt.sequelize, USERS, [found.users]) : [],
    found.roles.length && serverId ? runPrepared(rt.sequelize, ROLES, [found.roles, serverId]) : [],
    // Custom emoji render as images when they are the server's (in DMs: any server's), like reactions.
    found.emojis.length
      ? serverId
        ? runPrepared(rt.sequelize, SERVER_EMOJIS, [emojiIds, serverId])
        : runPrepared(rt.sequelize, EMOJIS, [emojiIds])
      : [],
  ]);
  const mentionable = roles.filter((r) => r.id !== channel.server_id && (r.mentionable || allowEveryone));
  const mentionEveryone = found.everyone && allowEveryone;
  return {
    content_html: renderMessageHtml(content, {
      users: new Map(users.map((u) => [u.id, u.username])),
      roles: new Map(mentionable.map((r) => [r.id, r.name])),
      mentionEveryone,
      // content_html is stored: its images keep the stored form (a bare path without public_url),
      // never the listening address of the process that rendered it.
      emojis: new Map(emojis.map((e) => [e.id, storedMediaUrl(rt.config, e.webp_key)])),
    }),
    mentions: users.map((u) => u.id),
    mention_roles: mentionable.map((r) => r.id),
    mention_everyone: mentionEveryone,
  };
}

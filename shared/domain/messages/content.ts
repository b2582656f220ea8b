import type { Row } from '../../db/models/index.js';
import { extractMentions, renderMessageHtml } from '../../markdown/index.js';
import type { Runtime } from '../../runtime.js';
import { mediaUrl } from '../../storage/urls.js';
import { isSnowflake } from '../../snowflake.js';

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
  channel: Row<'Channel'>,
  content: string,
  allowEveryone: boolean,
): Promise<RenderedContent> {
  const found = extractMentions(content);
  // Ids the parser accepts but no bigint column holds (`<@99999999999999999999>`) mention nobody;
  // letting them reach a query would fail the job and lose the message.
  found.users = found.users.filter(isSnowflake);
  found.roles = found.roles.filter(isSnowflake);
  const [users, roles, emojis] = await Promise.all([
    found.users.length
      ? rt.models.User.findAll({ where: { id: found.users }, attributes: ['id', 'username'] })
      : [],
    found.roles.length && channel.server_id
      ? rt.models.Role.findAll({ where: { id: found.roles, server_id: channel.server_id } })
      : [],
    // Custom emoji render as images when they are the server's (in DMs: any server's), like reactions.
    found.emojis.length
      ? rt.models.Emoji.findAll({
          where: {
            id: found.emojis.map((e) => e.id).filter(isSnowflake),
            ...(channel.server_id ? { server_id: channel.server_id } : {}),
          },
          attributes: ['id', 'webp_key'],
        })
      : [],
  ]);
  const mentionable = roles.filter((r) => r.id !== channel.server_id && (r.mentionable || allowEveryone));
  const mentionEveryone = found.everyone && allowEveryone;
  return {
    content_html: renderMessageHtml(content, {
      users: new Map(users.map((u) => [u.id, u.username])),
      roles: new Map(mentionable.map((r) => [r.id, r.name])),
      mentionEveryone,
      emojis: new Map(emojis.map((e) => [e.id, mediaUrl(rt.config, e.webp_key)])),
    }),
    mentions: users.map((u) => u.id),
    mention_roles: mentionable.map((r) => r.id),
    mention_everyone: mentionEveryone,
  };
}

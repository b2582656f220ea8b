import type { Row } from '../../shared/db/models/index.js';
import type { PushJob, PushReason } from '../../shared/queues/index.js';
import type { Runtime } from '../../shared/runtime.js';

/** The JSON a service worker receives in its `push` event (documented in guide 13). */
export interface PushPayload {
  type: PushReason;
  title: string;
  /** An excerpt of the message; null with push.include_content off. */
  body: string | null;
  message_id: string;
  channel_id: string;
  server_id: string | null;
  author_id: string;
  /** Where a click should lead, when server.public_url is set. */
  url?: string;
}

/** The longest body excerpt (characters). */
export const PUSH_EXCERPT_LENGTH = 100;

// <@id> <@!id> <@&id> <#id> <:name:id> <a:name:id>
const TOKEN_RE = /<(@!?|@&|#)(\d{1,20})>|<a?:(\w{1,32}):\d{1,20}>/g;
/** At most this many distinct ids of each kind are looked up to name them. */
const MAX_NAMED = 20;

function collect(content: string, sigil: string): string[] {
  const ids = new Set<string>();
  for (const m of content.matchAll(TOKEN_RE)) {
    const kind = m[1] === '@!' ? '@' : m[1];
    if (kind === sigil && m[2] && ids.size < MAX_NAMED) ids.add(m[2]);
  }
  return [...ids];
}

/** The message as a person reads it on a lock screen: mentions and emoji by name, whitespace collapsed, cut to length. */
async function readableExcerpt(rt: Runtime, message: Row<'Message'>): Promise<string> {
  const content = message.content;
  const [userIds, roleIds, channelIds] = [
    collect(content, '@'),
    collect(content, '@&'),
    collect(content, '#'),
  ];
  const [users, roles, channels] = await Promise.all([
    userIds.length ? rt.models.User.findAll({ where: { id: userIds }, attributes: ['id', 'username'] }) : [],
    roleIds.length ? rt.models.Role.findAll({ where: { id: roleIds }, attributes: ['id', 'name'] }) : [],
    channelIds.length
      ? rt.models.Channel.findAll({ where: { id: channelIds }, attributes: ['id', 'name'] })
      : [],
  ]);
  const names = new Map<string, string>([
    ...users.map((u) => [`@${u.id}`, `@${u.username}`] as const),
    ...roles.map((r) => [`@&${r.id}`, `@${r.name}`] as const),
    ...channels.map((c) => [`#${c.id}`, `#${c.name}`] as const),
  ]);
  let text = content
    .replace(
      TOKEN_RE,
      (whole, sigil: string | undefined, id: string | undefined, emoji: string | undefined) => {
        if (emoji) return `:${emoji}:`;
        const kind = sigil === '@!' ? '@' : (sigil ?? '');
        return names.get(`${kind}${id ?? ''}`) ?? whole;
      },
    )
    .replace(/\s+/g, ' ')
    .trim();
  if (!text) {
    const files = message.attachments.length;
    text = files > 0 ? `sent ${files === 1 ? 'a file' : `${files} files`}` : 'sent a message';
  }
  const chars = [...text];
  return chars.length <= PUSH_EXCERPT_LENGTH ? text : `${chars.slice(0, PUSH_EXCERPT_LENGTH - 1).join('')}…`;
}

/** "alice mentioned you in #general", "alice replied to you in #general", or "alice" for a DM. */
function titleOf(type: PushReason, author: string, channel: Row<'Channel'>): string {
  if (type === 'dm' || channel.server_id === null) return author;
  return `${author} ${type === 'reply' ? 'replied to you' : 'mentioned you'} in #${channel.name}`;
}

/**
 * The notification for one job, or null when its message (or channel) is gone. The author is
 * named as the recipient would see them: a webhook's name, else their nickname in the server,
 * else their username.
 */
export async function buildPushPayload(rt: Runtime, job: PushJob): Promise<PushPayload | null> {
  const { Message, Channel, User, Member } = rt.models;
  const [message, channel] = await Promise.all([
    Message.findOne({ where: { id: job.message_id, channel_id: job.channel_id } }),
    Channel.findByPk(job.channel_id),
  ]);
  if (!message || !channel) return null;
  const [user, member] = await Promise.all([
    User.findByPk(message.author_id, { attributes: ['id', 'username'] }),
    channel.server_id
      ? Member.findOne({
          where: { server_id: channel.server_id, user_id: message.author_id },
          attributes: ['nick'],
        })
      : null,
  ]);
  const author = message.webhook_author?.username ?? member?.nick ?? user?.username ?? 'Someone';
  const payload: PushPayload = {
    type: job.type,
    title: titleOf(job.type, author, channel),
    body: rt.config.push.include_content ? await readableExcerpt(rt, message) : null,
    message_id: message.id,
    channel_id: channel.id,
    server_id: channel.server_id,
    author_id: message.author_id,
  };
  const base = rt.config.server.public_url;
  if (base) {
    const where = `${channel.server_id ?? '@me'}/${channel.id}/${message.id}`;
    payload.url = `${base.replace(/\/+$/, '')}/channels/${where}`;
  }
  return payload;
}

import { PassThrough, type Writable } from 'node:stream';
import { once } from 'node:events';
import { Op } from 'sequelize';
import yazl from 'yazl';
import type { Row } from '../../shared/db/models/index.js';
import { resolveAttachment } from '../../shared/presenters/attachment.js';
import { presentSelf } from '../../shared/presenters/user.js';
import { unixSeconds } from '../../shared/presenters/time.js';
import type { Runtime } from '../../shared/runtime.js';
import type { StoredObject } from '../../shared/storage/types.js';

/** Messages read per query while the archive streams (keyset pages by id). */
const MESSAGE_PAGE = 1000;

const README = `Plexichat data export

profile.json          your account as you see it (GET /users/@me)
servers.json          the servers you are a member of, with your nickname, roles and join time
messages.json         every message you wrote (oldest first), with attachment links
relationships.json    friends, requests and blocks
sessions.json         your signed-in sessions (ip, user agent, times)
security_events.json  sign-ins, 2FA changes and other security events of your account

Times are unix seconds; ids are decimal strings.
`;

const json = (value: unknown) => Buffer.from(`${JSON.stringify(value, null, 2)}\n`);

/** Writes `chunk`, waiting while the archive has not taken the previous ones (backpressure). */
async function write(out: Writable, chunk: string): Promise<void> {
  if (!out.write(chunk)) await once(out, 'drain');
}

/** Streams every message `userId` wrote (not webhook posts stored under them) as one JSON array. */
async function writeMessages(rt: Runtime, userId: string, out: Writable): Promise<number> {
  const { Message, Channel } = rt.models;
  const servers = new Map<string, string | null>();
  let after = '0';
  let count = 0;
  await write(out, '[');
  for (;;) {
    const rows = await Message.findAll({
      where: { author_id: userId, webhook_id: null, id: { [Op.gt]: after } },
      order: [['id', 'ASC']],
      limit: MESSAGE_PAGE,
    });
    const unknown = [...new Set(rows.map((r) => r.channel_id))].filter((id) => !servers.has(id));
    if (unknown.length > 0) {
      const channels = await Channel.findAll({ where: { id: unknown }, attributes: ['id', 'server_id'] });
      for (const c of channels) servers.set(c.id, c.server_id);
    }
    for (const m of rows) {
      const entry = {
        id: m.id,
        channel_id: m.channel_id,
        server_id: servers.get(m.channel_id) ?? null,
        type: m.type,
        content: m.content,
        created_at: unixSeconds(m.created_at),
        edited_at: unixSeconds(m.edited_at),
        reply_to: m.reply_to,
        // The archive is handed out: its links absolute, as in the API's answers.
        attachments: m.attachments.map((a) => resolveAttachment(rt.config, a)),
        embeds: m.embeds.filter((e) => e.type === 'rich'),
      };
      await write(out, `${count === 0 ? '\n  ' : ',\n  '}${JSON.stringify(entry)}`);
      count++;
    }
    const last = rows[rows.length - 1];
    if (!last || rows.length < MESSAGE_PAGE) break;
    after = last.id;
  }
  await write(out, count === 0 ? ']\n' : '\n]\n');
  out.end();
  return count;
}

/** The small files of the archive: everything but the messages. */
async function accountFiles(rt: Runtime, user: Row<'User'>): Promise<Record<string, unknown>> {
  const m = rt.models;
  const [members, memberRoles, relationships, sessions, events] = await Promise.all([
    m.Member.findAll({ where: { user_id: user.id }, order: [['server_id', 'ASC']] }),
    m.MemberRole.findAll({ where: { user_id: user.id } }),
    m.Relationship.findAll({ where: { user_id: user.id }, order: [['target_id', 'ASC']] }),
    m.Session.findAll({ where: { user_id: user.id, revoked_at: null }, order: [['id', 'ASC']] }),
    m.SecurityEvent.findAll({ where: { user_id: user.id }, order: [['id', 'ASC']] }),
  ]);
  const servers = await m.Server.findAll({ where: { id: members.map((x) => x.server_id) } });
  const names = new Map(servers.map((s) => [s.id, s.name]));
  const targets = await m.User.findAll({ where: { id: relationships.map((r) => r.target_id) } });
  const usernames = new Map(targets.map((u) => [u.id, u.username]));
  return {
    'profile.json': presentSelf(rt.config, user),
    'servers.json': members.map((x) => ({
      server_id: x.server_id,
      name: names.get(x.server_id) ?? null,
      nick: x.nick,
      joined_at: unixSeconds(x.joined_at),
      role_ids: memberRoles
        .filter((r) => r.server_id === x.server_id && r.role_id !== x.server_id)
        .map((r) => r.role_id),
    })),
    'relationships.json': relationships.map((r) => ({
      user_id: r.target_id,
      username: usernames.get(r.target_id) ?? null,
      status: r.status,
      created_at: unixSeconds(r.created_at),
    })),
    'sessions.json': sessions.map((s) => ({
      id: s.id,
      created_at: unixSeconds(s.created_at),
      last_used_at: unixSeconds(s.last_used_at),
      ip: s.ip,
      user_agent: s.user_agent,
      kind: s.kind,
    })),
    'security_events.json': events.map((e) => ({
      id: e.id,
      type: e.type,
      ip: e.ip,
      details: e.details,
      created_at: unixSeconds(e.created_at),
    })),
  };
}

/**
 * Builds the zip archive of `user`'s data and stores it under `key`, streaming: messages are read
 * a page at a time while the archive uploads, so a long history never sits in memory.
 */
export async function storeExportArchive(
  rt: Runtime,
  user: Row<'User'>,
  key: string,
): Promise<StoredObject & { messages: number }> {
  const files = await accountFiles(rt, user);
  const zip = new yazl.ZipFile();
  const mtime = new Date();
  zip.addBuffer(Buffer.from(README), 'README.txt', { mtime });
  for (const [name, value] of Object.entries(files)) zip.addBuffer(json(value), name, { mtime });
  const messages = new PassThrough();
  zip.addReadStream(messages, 'messages.json', { mtime });
  zip.end();
  const stored = rt.storage.put(key, zip.outputStream as unknown as PassThrough, 'application/zip');
  try {
    const count = await writeMessages(rt, user.id, messages);
    return { ...(await stored), messages: count };
  } catch (err) {
    // Half an archive is never stored: a failed body makes the put store nothing.
    messages.destroy(err as Error);
    (zip.outputStream as unknown as PassThrough).destroy(err as Error);
    await stored.catch(() => undefined);
    throw err;
  }
}

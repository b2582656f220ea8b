import type { Row } from '../../shared/db/models/index.js';
import { invalidate } from '../../shared/domain/invalidation.js';
import { Permission } from '../../shared/permissions/index.js';
import type { ReadyPayload } from '../../shared/events/index.js';
import { decodeSnowflake } from '../../shared/snowflake.js';
import { issueSession } from '../../shared/accounts/sessions.js';
import { api } from '../helpers/accounts.js';
import { useTestApp } from '../helpers/app.js';
import { createServerWithChannel, createUser } from '../helpers/factories.js';
import { connectGateway, type GatewayClient } from '../helpers/gateway-client.js';

// READY reads with its own prepared statements (gateway/ready.ts, shared/permissions/visible.ts);
// the routes read through the ORM and the policy. Both must show the same things.

const clients: GatewayClient[] = [];
const app = useTestApp({ workers: false });
afterAll(() => {
  for (const c of clients) c.close();
});

const at = (id: string) => new Date(decodeSnowflake(id).timestampMs);

async function ready(user: Row<'User'>): Promise<{ token: string; d: ReadyPayload }> {
  const { token } = await issueSession(app.rt, user, { ip: '127.0.0.1', userAgent: null });
  const client = await connectGateway(app.origin, { token });
  clients.push(client);
  const frame = client.frames.find((f) => f.t === 'READY');
  return { token, d: frame?.d as ReadyPayload };
}

test('READY shows what the routes show: servers, channels with overwrites, threads, DMs, relationships', async () => {
  const rt = app.rt;
  const m = rt.models;
  const [a, b, c, stranger] = [
    await createUser(rt),
    await createUser(rt),
    await createUser(rt),
    await createUser(rt),
  ];
  const worlds = [];
  for (const owner of [a, b, c]) worlds.push(await createServerWithChannel(rt, owner.id));
  for (const w of worlds)
    for (const u of [a, b, c])
      if (u.id !== w.server.owner_id) await m.Member.create({ server_id: w.server.id, user_id: u.id });
  /** Active threads: parent, whether private, who may see it beside those who see the parent. */
  const activeThreads = new Map<string, { parent: string; isPrivate: boolean; keepers: string[] }>();
  for (const [i, w] of worlds.entries()) {
    const sid = w.server.id;
    const role = rt.snowflake.next();
    await m.Role.create({
      id: role,
      server_id: sid,
      name: 'thread keeper',
      permissions: String(Permission.MANAGE_THREADS),
      position: 1,
      created_at: at(role),
    });
    await m.MemberRole.create({ server_id: sid, user_id: c.id, role_id: role });
    const channels = [];
    for (const [j, type] of (['text', 'voice', 'text', 'category', 'text'] as const).entries()) {
      const id = rt.snowflake.next();
      channels.push(
        await m.Channel.create({
          id,
          server_id: sid,
          name: `c${j}`,
          channel_type: type,
          position: (5 - j) % 3,
          created_at: at(id),
        }),
      );
    }
    const [hidden, , private2, , open] = channels as [(typeof channels)[0], ...typeof channels];
    // Hidden from @everyone, shown to the role; a member overwrite hides another from b.
    const overwrite = (
      channel_id: string,
      target_id: string,
      type: 'role' | 'member',
      allow: bigint,
      deny: bigint,
    ) =>
      m.PermissionOverwrite.create({ channel_id, target_id, type, allow: String(allow), deny: String(deny) });
    await overwrite(hidden.id, sid, 'role', 0n, Permission.VIEW_CHANNEL);
    await overwrite(hidden.id, role, 'role', Permission.VIEW_CHANNEL, 0n);
    await overwrite(private2!.id, b.id, 'member', 0n, Permission.VIEW_CHANNEL);
    await overwrite(private2!.id, a.id, 'member', Permission.SEND_MESSAGES, 0n);
    if (i === 1) {
      const timeout_until = new Date(Date.now() + 3_600_000);
      await m.Member.update({ timeout_until }, { where: { server_id: sid, user_id: a.id } });
    }
    for (const [k, kind] of (
      ['public_thread', 'public_thread', 'private_thread', 'private_thread'] as const
    ).entries()) {
      const parent = k % 2 === 0 ? hidden : open!;
      const id = rt.snowflake.next();
      await m.Channel.create({
        id,
        server_id: sid,
        parent_id: parent.id,
        name: `t${k}`,
        channel_type: kind,
        created_at: at(id),
      });
      const archived = k === 1;
      await m.ThreadMetadata.create({
        channel_id: id,
        owner_id: a.id,
        archived,
        archived_at: archived ? new Date() : null,
      });
      if (k === 3) await m.ThreadMember.create({ thread_id: id, user_id: b.id });
      // A private thread: its members, and those who may manage threads (the owner, c by role).
      const keepers = [w.server.owner_id, c.id, ...(k === 3 ? [b.id] : [])];
      if (!archived)
        activeThreads.set(id, { parent: parent.id, isPrivate: kind === 'private_thread', keepers });
    }
    await invalidate(rt, { servers: [sid] });
  }
  const dms = [];
  for (const [x, y] of [
    [a, b],
    [a, c],
    [a, a],
  ] as const) {
    const id = rt.snowflake.next();
    const notes = x === y;
    await m.Channel.create({
      id,
      name: notes ? 'notes' : 'dm',
      channel_type: notes ? 'notes' : 'dm',
      created_at: at(id),
      private_key: `test:${id}`,
    });
    await m.ChannelRecipient.create({ channel_id: id, user_id: x.id });
    if (!notes) await m.ChannelRecipient.create({ channel_id: id, user_id: y.id });
    dms.push({ id, members: notes ? [x.id] : [x.id, y.id] });
  }
  await m.Relationship.create({ user_id: a.id, target_id: b.id, status: 'friend' });
  await m.Relationship.create({ user_id: a.id, target_id: stranger.id, status: 'pending_outgoing' });
  await m.Relationship.create({ user_id: c.id, target_id: a.id, status: 'blocked' });

  for (const user of [a, b, c, stranger]) {
    const { token, d } = await ready(user);
    const get = async <T = { id: string }[]>(path: string): Promise<T> => {
      const res = await api(app, 'GET', path, { token });
      expect(res.status).toBe(200);
      return res.body as T;
    };
    expect(d.user).toEqual(await get<unknown>('/users/@me'));
    const servers = await get('/users/@me/servers');
    expect([...d.servers].sort((x, y) => x.id.localeCompare(y.id))).toEqual(
      [...servers].sort((x: { id: string }, y: { id: string }) => x.id.localeCompare(y.id)),
    );
    // Server channels: each server's list as the route shows it (position order), servers by id.
    const serverChannels = d.channels.filter((ch) => ch.server_id !== null && !('thread_metadata' in ch));
    const expected = [];
    for (const s of [...d.servers].sort((x, y) => (BigInt(x.id) < BigInt(y.id) ? -1 : 1)))
      expected.push(...(await get(`/servers/${s.id}/channels`)));
    expect(serverChannels).toEqual(expected);
    // Active threads: of a parent the user sees; private ones only to members and thread keepers.
    const threads = d.channels
      .filter((ch) => 'thread_metadata' in ch)
      .map((t) => t.id)
      .sort();
    const seen = new Set(serverChannels.map((ch) => ch.id));
    const wanted = [...activeThreads]
      .filter(([, t]) => seen.has(t.parent) && (!t.isPrivate || t.keepers.includes(user.id)))
      .map(([id]) => id)
      .sort();
    expect(threads).toEqual(wanted);
    // DMs and notes: those they are a recipient of, with the others in them.
    const privateChannels = d.channels.filter((ch) => ch.server_id === null);
    const mine = dms.filter((dm) => dm.members.includes(user.id));
    expect(privateChannels.map((ch) => ch.id)).toEqual(mine.map((dm) => dm.id));
    for (const [k, ch] of privateChannels.entries()) {
      const others = mine[k]!.members.filter((id) => id !== user.id);
      expect((ch as unknown as { recipients: { id: string }[] }).recipients.map((r) => r.id)).toEqual(others);
    }
    const relationships = await get('/users/@me/relationships');
    const byId = (x: { id: string }, y: { id: string }) => x.id.localeCompare(y.id);
    expect([...d.relationships].sort(byId)).toEqual([...relationships].sort(byId));
  }
});

import { Permission } from '../../../shared/permissions/index.js';
import { useTestApp } from '../../helpers/app.js';
import type { GatewayClient } from '../../helpers/gateway-client.js';
import { makeRole } from '../servers/membership-helpers.js';
import { as, connect, framesOf, join, send, settle, waitFor, world } from './helpers.js';

const clients: GatewayClient[] = [];
const app = useTestApp();
afterAll(() => {
  for (const c of clients) c.close();
});

async function setting() {
  const w = await world(app);
  const modRole = await makeRole(app, w.serverId, { position: 1, permissions: Permission.MANAGE_THREADS });
  const [creator, outsider, mod] = [await join(app, w), await join(app, w), await join(app, w, [modRole.id])];
  const [creatorClient, outsiderClient, modClient] = [
    await connect(app, creator, clients),
    await connect(app, outsider, clients),
    await connect(app, mod, clients),
  ];
  const res = await as(app, creator, 'POST', `/channels/${w.channelId}/threads`, {
    name: 'just us',
    type: 'private_thread',
  });
  expect(res.status).toBe(201);
  expect(res.body).toMatchObject({ channel_type: 'private_thread', thread_metadata: { member_count: 1 } });
  const threadId = res.body.id as string;
  return { w, creator, outsider, mod, creatorClient, outsiderClient, modClient, threadId };
}

describe('private threads', () => {
  it('are seen only by their members and those with MANAGE_THREADS', async () => {
    const s = await setting();
    await waitFor(s.creatorClient, 'THREAD_CREATE', (d) => d.id === s.threadId);
    await waitFor(s.modClient, 'THREAD_CREATE', (d) => d.id === s.threadId);
    const sent = await send(app, s.creator, s.threadId, `secret <@${s.outsider.id}>`);
    await waitFor(s.modClient, 'MESSAGE_CREATE', (d) => d.id === sent.id);

    for (const path of [`/channels/${s.threadId}`, `/channels/${s.threadId}/messages`]) {
      expect((await as(app, s.outsider, 'GET', path)).status).toBe(404);
    }
    const joinIt = await as(app, s.outsider, 'PUT', `/channels/${s.threadId}/thread-members/@me`);
    expect(joinIt.status).toBe(404);
    const listed = async (who: typeof s.outsider): Promise<string[]> => {
      const res = await as(app, who, 'GET', `/channels/${s.w.channelId}/threads`);
      return (res.body as { id: string }[]).map((t) => t.id);
    };
    expect(await listed(s.outsider)).toEqual([]);
    expect(await listed(s.mod)).toEqual([s.threadId]);
    expect(await listed(s.creator)).toEqual([s.threadId]);

    await settle(app, s.outsiderClient, s.outsider.id);
    expect(framesOf(s.outsiderClient, 'THREAD_CREATE')).toHaveLength(0);
    expect(framesOf(s.outsiderClient, 'MESSAGE_CREATE', (d) => d.channel_id === s.threadId)).toHaveLength(0);
    // No notice in the parent, and a mention does not notify someone who cannot see the thread.
    expect(framesOf(s.outsiderClient, 'MESSAGE_CREATE', (d) => d.type === 'thread_created')).toHaveLength(0);
    expect((await as(app, s.outsider, 'GET', '/users/@me/notifications')).body).toEqual([]);
    const ready = (await connect(app, s.outsider, clients)).frames[0]?.d as { channels: { id: string }[] };
    expect(ready.channels.map((c) => c.id)).not.toContain(s.threadId);
  });

  it('adding someone shows them the thread; removing them hides it again', async () => {
    const s = await setting();
    const added = await as(app, s.creator, 'PUT', `/channels/${s.threadId}/thread-members/${s.outsider.id}`);
    expect(added.status).toBe(204);
    const created = await waitFor(s.outsiderClient, 'THREAD_CREATE', (d) => d.id === s.threadId);
    expect(created.thread_metadata.member_count).toBe(2);
    expect(await waitFor(s.creatorClient, 'THREAD_MEMBERS_UPDATE', (d) => d.id === s.threadId)).toMatchObject(
      {
        member_count: 2,
        added_member_ids: [s.outsider.id],
      },
    );
    const hello = await send(app, s.creator, s.threadId, 'welcome');
    await waitFor(s.outsiderClient, 'MESSAGE_CREATE', (d) => d.id === hello.id);
    expect((await as(app, s.outsider, 'GET', `/channels/${s.threadId}`)).status).toBe(200);

    // Only MANAGE_THREADS or the private thread's owner removes others.
    const byOutsider = await as(
      app,
      s.outsider,
      'DELETE',
      `/channels/${s.threadId}/thread-members/${s.creator.id}`,
    );
    expect([byOutsider.status, byOutsider.body.permission]).toEqual([403, 'MANAGE_THREADS']);
    const removed = await as(
      app,
      s.creator,
      'DELETE',
      `/channels/${s.threadId}/thread-members/${s.outsider.id}`,
    );
    expect(removed.status).toBe(204);
    expect(await waitFor(s.outsiderClient, 'THREAD_DELETE', (d) => d.id === s.threadId)).toEqual({
      id: s.threadId,
      server_id: s.w.serverId,
      parent_id: s.w.channelId,
    });
    const after = await send(app, s.creator, s.threadId, 'gone now');
    await waitFor(s.modClient, 'MESSAGE_CREATE', (d) => d.id === after.id);
    await settle(app, s.outsiderClient, s.outsider.id);
    expect(framesOf(s.outsiderClient, 'MESSAGE_CREATE', (d) => d.id === after.id)).toHaveLength(0);
    expect((await as(app, s.outsider, 'GET', `/channels/${s.threadId}`)).status).toBe(404);
  });

  it('only server members who can see the channel can be added; a message’s thread is public', async () => {
    const s = await setting();
    const stranger = await join(app, await world(app));
    const notMember = await as(
      app,
      s.creator,
      'PUT',
      `/channels/${s.threadId}/thread-members/${stranger.id}`,
    );
    expect([notMember.status, notMember.body.code]).toEqual([404, 'unknown_member']);
    await as(app, s.w.owner, 'PUT', `/channels/${s.w.channelId}/permissions/${s.outsider.id}`, {
      type: 'member',
      deny: String(Permission.VIEW_CHANNEL),
    });
    const blind = await as(app, s.creator, 'PUT', `/channels/${s.threadId}/thread-members/${s.outsider.id}`);
    expect([blind.status, blind.body.code]).toEqual([400, 'member_cannot_view']);

    const starter = await send(app, s.creator, s.w.channelId, 'start');
    const fromMessage = await as(
      app,
      s.creator,
      'POST',
      `/channels/${s.w.channelId}/messages/${starter.id}/threads`,
      {
        name: 'x',
        type: 'private_thread',
      },
    );
    expect([fromMessage.status, Object.keys(fromMessage.body.errors)]).toEqual([400, ['type']]);
  });
});

import { channelRoutes } from '../../../api/routes/channels/channels.js';
import type { ApiServices } from '../../../api/services.js';
import { Permission } from '../../../shared/permissions/index.js';
import type { MessageObject } from '../../../shared/presenters/types.js';
import { useTestApp } from '../../helpers/app.js';
import type { GatewayClient } from '../../helpers/gateway-client.js';
import { archiveIdleThreads } from '../../../shared/domain/threads/archive.js';
import { ARCHIVE_SWEEP_EVERY_MS } from '../../../workers/processors/thread-archive.js';
import { auditEntries, makeRole } from '../servers/membership-helpers.js';
import { as, connect, framesOf, join, send, settle, startThread, waitFor, world } from './helpers.js';

const clients: GatewayClient[] = [];
const app = useTestApp();
afterAll(() => {
  for (const c of clients) c.close();
});

describe('starting a thread', () => {
  it('from a message: the thread, the starter’s thread_id, THREAD_CREATE and a thread_created notice', async () => {
    const w = await world(app);
    const viewer = await join(app, w);
    const viewerClient = await connect(app, viewer, clients);
    const starter = await send(app, w.owner, w.channelId, 'let us discuss');

    const res = await as(app, viewer, 'POST', `/channels/${w.channelId}/messages/${starter.id}/threads`, {
      name: '  design  ',
      auto_archive_minutes: 60,
    });
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({
      server_id: w.serverId,
      parent_id: w.channelId,
      name: 'design',
      channel_type: 'public_thread',
      thread_metadata: {
        owner_id: viewer.id,
        starter_message_id: starter.id,
        archived: false,
        archived_at: null,
        auto_archive_minutes: 60,
        locked: false,
        message_count: 0,
        member_count: 1,
      },
    });
    const threadId = res.body.id as string;

    expect(await waitFor(viewerClient, 'THREAD_CREATE', (d) => d.id === threadId)).toEqual(res.body);
    const updated = await waitFor(viewerClient, 'MESSAGE_UPDATE', (d) => d.id === starter.id);
    expect(updated.thread_id).toBe(threadId);
    const notice = await waitFor(
      viewerClient,
      'MESSAGE_CREATE',
      (d) => d.type === 'thread_created' && d.thread_id === threadId,
    );
    expect(notice).toMatchObject({ channel_id: w.channelId, author_id: viewer.id, content: 'design' });

    const got = await as(app, w.owner, 'GET', `/channels/${w.channelId}/messages/${starter.id}`);
    expect(got.body.thread_id).toBe(threadId);
    const channel = await as(app, w.owner, 'GET', `/channels/${threadId}`);
    expect(channel.body).toEqual(res.body);
    const members = await as(app, w.owner, 'GET', `/channels/${threadId}/thread-members`);
    expect(members.body.map((m: { user_id: string }) => m.user_id)).toEqual([viewer.id]);
    expect(members.body[0].user).toMatchObject({ id: viewer.id, username: viewer.username });
    expect((await auditEntries(app, w.serverId, 'thread_create')).map((e) => e.target_id)).toEqual([
      threadId,
    ]);

    // A message starts one thread.
    const again = await as(app, w.owner, 'POST', `/channels/${w.channelId}/messages/${starter.id}/threads`, {
      name: 'twice',
    });
    expect([again.status, again.body.code]).toEqual([409, 'thread_exists']);
  });

  it('concurrent starts from one message make one thread', async () => {
    const w = await world(app);
    const starter = await send(app, w.owner, w.channelId, 'popular');
    const results = await Promise.all(
      Array.from({ length: 4 }, (_, i) =>
        as(app, w.owner, 'POST', `/channels/${w.channelId}/messages/${starter.id}/threads`, {
          name: `t${i}`,
        }),
      ),
    );
    expect(results.map((r) => r.status).sort()).toEqual([201, 409, 409, 409]);
    expect(await app.rt.models.ThreadMetadata.count({ where: { starter_message_id: starter.id } })).toBe(1);
  });

  it('without a message; 400 naming bad fields; 400 outside text channels; 404 for unknown or invisible', async () => {
    const w = await world(app);
    const thread = await startThread(app, w.owner, w.channelId, 'standalone');
    expect(thread.thread_metadata.starter_message_id).toBeNull();

    for (const [body, field] of [
      [{}, 'name'],
      [{ name: '   ' }, 'name'],
      [{ name: 'x'.repeat(101) }, 'name'],
      [{ name: 'ok', auto_archive_minutes: 30 }, 'auto_archive_minutes'],
    ] as const) {
      const res = await as(app, w.owner, 'POST', `/channels/${w.channelId}/threads`, body);
      expect([res.status, Object.keys(res.body.errors ?? {})]).toEqual([400, [field]]);
    }

    const voice = await as(app, w.owner, 'POST', `/servers/${w.serverId}/channels`, {
      name: 'voice',
      channel_type: 'voice',
    });
    const inVoice = await as(app, w.owner, 'POST', `/channels/${voice.body.id}/threads`, { name: 'no' });
    expect([inVoice.status, inVoice.body.code]).toEqual([400, 'invalid_channel_type']);
    const inThread = await as(app, w.owner, 'POST', `/channels/${thread.id}/threads`, { name: 'nested' });
    expect([inThread.status, inThread.body.code]).toEqual([400, 'invalid_channel_type']);

    const stranger = await join(app, await world(app));
    expect((await as(app, stranger, 'POST', `/channels/${w.channelId}/threads`, { name: 'x' })).status).toBe(
      404,
    );
    expect((await as(app, w.owner, 'POST', `/channels/1/threads`, { name: 'x' })).status).toBe(404);
    const unknownMessage = await as(app, w.owner, 'POST', `/channels/${w.channelId}/messages/1/threads`, {
      name: 'x',
    });
    expect([unknownMessage.status, unknownMessage.body.code]).toEqual([404, 'unknown_message']);
  });

  it('403 naming CREATE_THREADS; a system message cannot start one', async () => {
    const w = await world(app);
    const plain = await join(app, w);
    await as(app, w.owner, 'PUT', `/channels/${w.channelId}/permissions/${plain.id}`, {
      type: 'member',
      deny: String(Permission.CREATE_THREADS),
    });
    const res = await as(app, plain, 'POST', `/channels/${w.channelId}/threads`, { name: 'no' });
    expect([res.status, res.body.code, res.body.permission]).toEqual([
      403,
      'missing_permission',
      'CREATE_THREADS',
    ]);

    await startThread(app, w.owner, w.channelId, 'first');
    const client = await connect(app, w.owner, clients);
    const notice = await (async () => {
      await startThread(app, w.owner, w.channelId, 'second');
      return waitFor(client, 'MESSAGE_CREATE', (d) => d.type === 'thread_created' && d.content === 'second');
    })();
    const fromNotice = await as(
      app,
      w.owner,
      'POST',
      `/channels/${w.channelId}/messages/${notice.id}/threads`,
      {
        name: 'meta',
      },
    );
    expect([fromNotice.status, fromNotice.body.code]).toEqual([400, 'invalid_message']);
  });
});

describe('messages in a thread', () => {
  it('go through the messages routes, reach the parent’s viewers, join the poster and count', async () => {
    const w = await world(app);
    const early = await join(app, w);
    const earlyClient = await connect(app, early, clients);
    const thread = await startThread(app, w.owner, w.channelId);
    await waitFor(earlyClient, 'THREAD_CREATE', (d) => d.id === thread.id);
    // A connection opened after the thread exists joins its room from READY.
    const late = await join(app, w);
    const lateClient = await connect(app, late, clients);

    const sent = await send(app, early, thread.id, 'in the thread');
    expect(sent.channel_id).toBe(thread.id);
    for (const c of [earlyClient, lateClient]) {
      expect((await waitFor(c, 'MESSAGE_CREATE', (d) => d.id === sent.id)).content).toBe('in the thread');
    }
    const joined = await waitFor(lateClient, 'THREAD_MEMBERS_UPDATE', (d) => d.id === thread.id);
    expect(joined).toEqual({
      id: thread.id,
      server_id: w.serverId,
      member_count: 2,
      added_member_ids: [early.id],
    });

    await send(app, early, thread.id, 'again');
    const history = await as(app, late, 'GET', `/channels/${thread.id}/messages`);
    expect(history.body.map((m: MessageObject) => m.content)).toEqual(['again', 'in the thread']);
    const got = await as(app, late, 'GET', `/channels/${thread.id}`);
    expect(got.body.thread_metadata).toMatchObject({ message_count: 2, member_count: 2 });
    // Posting again does not join twice.
    await settle(app, lateClient, late.id);
    expect(framesOf(lateClient, 'THREAD_MEMBERS_UPDATE', (d) => d.id === thread.id)).toHaveLength(1);
    // Thread messages stay out of the parent's history.
    const parent = await as(app, late, 'GET', `/channels/${w.channelId}/messages`);
    expect(parent.body.some((m: MessageObject) => m.channel_id === thread.id)).toBe(false);
  });

  it('need SEND_MESSAGES_IN_THREADS, not SEND_MESSAGES', async () => {
    const w = await world(app);
    const thread = await startThread(app, w.owner, w.channelId);
    const talker = await join(app, w);
    // No SEND_MESSAGES in the channel, but SEND_MESSAGES_IN_THREADS: threads only.
    await as(app, w.owner, 'PUT', `/channels/${w.channelId}/permissions/${talker.id}`, {
      type: 'member',
      deny: String(Permission.SEND_MESSAGES),
    });
    const inParent = await as(app, talker, 'POST', `/channels/${w.channelId}/messages`, { content: 'x' });
    expect([inParent.status, inParent.body.permission]).toEqual([403, 'SEND_MESSAGES']);
    expect((await as(app, talker, 'POST', `/channels/${thread.id}/messages`, { content: 'ok' })).status).toBe(
      200,
    );

    await as(app, w.owner, 'PUT', `/channels/${w.channelId}/permissions/${talker.id}`, {
      type: 'member',
      deny: String(Permission.SEND_MESSAGES_IN_THREADS),
    });
    const inThread = await as(app, talker, 'POST', `/channels/${thread.id}/messages`, { content: 'no' });
    expect([inThread.status, inThread.body.code, inThread.body.permission]).toEqual([
      403,
      'missing_permission',
      'SEND_MESSAGES_IN_THREADS',
    ]);
    expect(
      (await as(app, talker, 'POST', `/channels/${w.channelId}/messages`, { content: 'yes' })).status,
    ).toBe(200);
  });
});

describe('archiving and locking', () => {
  it('the owner archives their thread; a message unarchives it; others need MANAGE_THREADS', async () => {
    const w = await world(app);
    const starter = await join(app, w);
    const other = await join(app, w);
    const thread = await startThread(app, starter, w.channelId, 'mine');
    const client = await connect(app, other, clients);

    const archived = await as(app, starter, 'PATCH', `/channels/${thread.id}`, {
      archived: true,
      name: 'done',
    });
    expect(archived.status).toBe(200);
    expect(archived.body).toMatchObject({ name: 'done', thread_metadata: { archived: true } });
    expect(archived.body.thread_metadata.archived_at).toBeGreaterThan(0);
    const update = await waitFor(client, 'THREAD_UPDATE', (d) => d.id === thread.id);
    expect(update.thread_metadata.archived).toBe(true);

    const listActive = await as(app, other, 'GET', `/channels/${w.channelId}/threads`);
    expect(listActive.body.map((t: { id: string }) => t.id)).not.toContain(thread.id);
    const listArchived = await as(app, other, 'GET', `/channels/${w.channelId}/threads?archived=true`);
    expect(listArchived.body.map((t: { id: string }) => t.id)).toEqual([thread.id]);

    const notTheirs = await as(app, other, 'PATCH', `/channels/${thread.id}`, { archived: false });
    expect([notTheirs.status, notTheirs.body.permission]).toEqual([403, 'MANAGE_THREADS']);

    // Anyone who may post wakes it up by posting.
    await send(app, other, thread.id, 'wake up');
    const woken = await waitFor(
      client,
      'THREAD_UPDATE',
      (d) => d.id === thread.id && !d.thread_metadata.archived,
    );
    expect(woken.thread_metadata).toMatchObject({ archived: false, archived_at: null, member_count: 2 });
    const active = await as(app, other, 'GET', `/channels/${w.channelId}/threads`);
    expect(active.body.map((t: { id: string }) => t.id)).toEqual([thread.id]);
    expect((await auditEntries(app, w.serverId, 'thread_update')).length).toBe(1);
  });

  it('locking needs MANAGE_THREADS; a locked thread takes messages only from those who have it', async () => {
    const w = await world(app);
    const modRole = await makeRole(app, w.serverId, { position: 1, permissions: Permission.MANAGE_THREADS });
    const mod = await join(app, w, [modRole.id]);
    const owner = await join(app, w);
    const thread = await startThread(app, owner, w.channelId);

    const ownLock = await as(app, owner, 'PATCH', `/channels/${thread.id}`, { locked: true });
    expect([ownLock.status, ownLock.body.permission]).toEqual([403, 'MANAGE_THREADS']);
    const locked = await as(app, mod, 'PATCH', `/channels/${thread.id}`, { locked: true, archived: true });
    expect(locked.body.thread_metadata).toMatchObject({ locked: true, archived: true });

    const blocked = await as(app, owner, 'POST', `/channels/${thread.id}/messages`, { content: 'let me' });
    expect([blocked.status, blocked.body.code, blocked.body.permission]).toEqual([
      403,
      'thread_locked',
      'MANAGE_THREADS',
    ]);
    // The owner cannot unarchive or rename a locked thread either.
    const reopen = await as(app, owner, 'PATCH', `/channels/${thread.id}`, { archived: false });
    expect(reopen.status).toBe(403);

    expect(
      (await as(app, mod, 'POST', `/channels/${thread.id}/messages`, { content: 'mod note' })).status,
    ).toBe(200);
    const after = await as(app, owner, 'GET', `/channels/${thread.id}`);
    expect(after.body.thread_metadata).toMatchObject({ locked: true, archived: false });
  });

  it('PATCH takes only thread fields on a thread, and no thread field elsewhere', async () => {
    const w = await world(app);
    const thread = await startThread(app, w.owner, w.channelId);
    const topic = await as(app, w.owner, 'PATCH', `/channels/${thread.id}`, { topic: 'x', position: 2 });
    expect([topic.status, Object.keys(topic.body.errors).sort()]).toEqual([400, ['position', 'topic']]);
    const onText = await as(app, w.owner, 'PATCH', `/channels/${w.channelId}`, { archived: true });
    expect([onText.status, Object.keys(onText.body.errors)]).toEqual([400, ['archived']]);
    const bad = await as(app, w.owner, 'PATCH', `/channels/${thread.id}`, { auto_archive_minutes: 5 });
    expect([bad.status, Object.keys(bad.body.errors)]).toEqual([400, ['auto_archive_minutes']]);
    const overwrite = await as(app, w.owner, 'PUT', `/channels/${thread.id}/permissions/${w.serverId}`, {
      type: 'role',
      deny: String(Permission.VIEW_CHANNEL),
    });
    expect([overwrite.status, overwrite.body.code]).toEqual([400, 'invalid_channel_type']);
  });

  it('GET and PATCH /channels/{id} answer a thread in the shape they document (/openapi.json is built from it)', async () => {
    const w = await world(app);
    const thread = await startThread(app, w.owner, w.channelId);
    // Only the routes' schemas are read: no handler runs, so no services are needed.
    const routes = channelRoutes(app.rt, {} as ApiServices);
    const documented = (method: string) =>
      routes.find((r) => r.method === method && r.path === '/channels/{channel_id}')?.responses[200]?.schema;
    const got = await as(app, w.owner, 'GET', `/channels/${thread.id}`);
    const patched = await as(app, w.owner, 'PATCH', `/channels/${thread.id}`, { name: 'renamed' });
    const channel = await as(app, w.owner, 'GET', `/channels/${w.channelId}`);
    expect([got.status, patched.status, channel.status]).toEqual([200, 200, 200]);
    expect(got.body.thread_metadata).toBeDefined();
    expect(documented('get')?.validate(got.body).error?.message).toBeUndefined();
    expect(documented('patch')?.validate(patched.body).error?.message).toBeUndefined();
    // A channel still answers as a channel, and a thread is no channel without its metadata.
    expect(documented('get')?.validate(channel.body).error?.message).toBeUndefined();
    const { thread_metadata: _metadata, ...bare } = got.body as Record<string, unknown>;
    expect(documented('get')?.validate({ ...bare, thread_metadata: 'x' }).error).toBeDefined();
  });
});

describe('auto-archive', () => {
  it('archives threads idle longer than their auto_archive_minutes and tells the parent’s viewers', async () => {
    const w = await world(app);
    const idle = await as(app, w.owner, 'POST', `/channels/${w.channelId}/threads`, {
      name: 'idle',
      auto_archive_minutes: 60,
    });
    const recent = await startThread(app, w.owner, w.channelId, 'within its day');
    // Connected before the threads go idle: the workers' own scheduled sweep may archive them first,
    // and its THREAD_UPDATE must reach the client as the explicit sweep's would.
    const client = await connect(app, w.owner, clients);
    const { ThreadMetadata } = app.rt.models;
    const hoursAgo = (h: number) => new Date(Date.now() - h * 3600_000);
    await ThreadMetadata.update({ last_activity_at: hoursAgo(2) }, { where: { channel_id: idle.body.id } });
    await ThreadMetadata.update({ last_activity_at: hoursAgo(2) }, { where: { channel_id: recent.id } });

    await archiveIdleThreads(app.rt);
    const update = await waitFor(client, 'THREAD_UPDATE', (d) => d.id === idle.body.id);
    expect(update.thread_metadata).toMatchObject({ archived: true, auto_archive_minutes: 60 });
    expect((await as(app, w.owner, 'GET', `/channels/${recent.id}`)).body.thread_metadata.archived).toBe(
      false,
    );
    // The workers run the sweep on their own.
    const scheduler = await app.rt.queues.messages.getJobScheduler('archive-idle-threads');
    expect(scheduler?.every).toBe(ARCHIVE_SWEEP_EVERY_MS);
  });
});

describe('thread members', () => {
  it('join and leave are idempotent and announced; only threads have members', async () => {
    const w = await world(app);
    const thread = await startThread(app, w.owner, w.channelId);
    const joiner = await join(app, w);
    const client = await connect(app, w.owner, clients);

    expect((await as(app, joiner, 'PUT', `/channels/${thread.id}/thread-members/@me`)).status).toBe(204);
    expect((await as(app, joiner, 'PUT', `/channels/${thread.id}/thread-members/@me`)).status).toBe(204);
    const added = await waitFor(client, 'THREAD_MEMBERS_UPDATE', (d) => d.id === thread.id);
    expect(added).toEqual({
      id: thread.id,
      server_id: w.serverId,
      member_count: 2,
      added_member_ids: [joiner.id],
    });
    const list = await as(app, joiner, 'GET', `/channels/${thread.id}/thread-members?limit=1`);
    expect(list.body).toHaveLength(1);
    const page2 = await as(
      app,
      joiner,
      'GET',
      `/channels/${thread.id}/thread-members?after=${list.body[0].user_id}`,
    );
    expect(page2.body).toHaveLength(1);

    expect((await as(app, joiner, 'DELETE', `/channels/${thread.id}/thread-members/@me`)).status).toBe(204);
    expect((await as(app, joiner, 'DELETE', `/channels/${thread.id}/thread-members/@me`)).status).toBe(204);
    const removed = await waitFor(client, 'THREAD_MEMBERS_UPDATE', (d) => d.removed_member_ids !== undefined);
    expect(removed).toEqual({
      id: thread.id,
      server_id: w.serverId,
      member_count: 1,
      removed_member_ids: [joiner.id],
    });
    await settle(app, client, w.owner.id);
    expect(framesOf(client, 'THREAD_MEMBERS_UPDATE', (d) => d.id === thread.id)).toHaveLength(2);

    const notThread = await as(app, joiner, 'PUT', `/channels/${w.channelId}/thread-members/@me`);
    expect([notThread.status, notThread.body.code]).toEqual([400, 'invalid_channel_type']);
    expect((await as(app, joiner, 'PUT', `/channels/1/thread-members/@me`)).status).toBe(404);
  });
});

describe('a thread inherits its parent’s visibility', () => {
  it('who cannot see the parent gets 404 on the thread and none of its events, until they can again', async () => {
    const w = await world(app);
    const hidden = await join(app, w);
    const hiddenClient = await connect(app, hidden, clients);
    const ownerClient = await connect(app, w.owner, clients);
    const thread = await startThread(app, w.owner, w.channelId, 'secret');
    await waitFor(hiddenClient, 'THREAD_CREATE', (d) => d.id === thread.id);

    const deny = await as(app, w.owner, 'PUT', `/channels/${w.channelId}/permissions/${hidden.id}`, {
      type: 'member',
      deny: String(Permission.VIEW_CHANNEL),
    });
    expect(deny.status).toBe(204);

    for (const [method, path, body] of [
      ['GET', `/channels/${thread.id}`, undefined],
      ['GET', `/channels/${thread.id}/messages`, undefined],
      ['POST', `/channels/${thread.id}/messages`, { content: 'hi' }],
      ['PUT', `/channels/${thread.id}/thread-members/@me`, undefined],
      ['GET', `/channels/${thread.id}/thread-members`, undefined],
      ['PATCH', `/channels/${thread.id}`, { name: 'mine' }],
      ['GET', `/channels/${w.channelId}/threads`, undefined],
    ] as const) {
      const res = await as(app, hidden, method, path, body);
      expect([method, path, res.status, res.body.code]).toEqual([method, path, 404, 'unknown_channel']);
    }

    const second = await startThread(app, w.owner, w.channelId, 'another');
    const sent = await send(app, w.owner, thread.id, 'not for you');
    await as(app, w.owner, 'PATCH', `/channels/${thread.id}`, { name: 'renamed' });
    await waitFor(ownerClient, 'THREAD_UPDATE', (d) => d.id === thread.id);
    await settle(app, hiddenClient, hidden.id);
    expect(framesOf(hiddenClient, 'THREAD_CREATE', (d) => d.id === second.id)).toHaveLength(0);
    expect(framesOf(hiddenClient, 'MESSAGE_CREATE', (d) => d.id === sent.id)).toHaveLength(0);
    expect(framesOf(hiddenClient, 'THREAD_UPDATE')).toHaveLength(0);
    expect(framesOf(hiddenClient, 'THREAD_MEMBERS_UPDATE')).toHaveLength(0);

    // A fresh connection's READY does not list the threads either.
    const fresh = await connect(app, hidden, clients);
    const ready = fresh.frames[0]?.d as { channels: { id: string }[] };
    expect(ready.channels.map((c) => c.id)).not.toContain(thread.id);

    // Seeing the parent again brings the thread's events back at once.
    await as(app, w.owner, 'DELETE', `/channels/${w.channelId}/permissions/${hidden.id}`);
    const back = await send(app, w.owner, thread.id, 'welcome back');
    await waitFor(hiddenClient, 'MESSAGE_CREATE', (d) => d.id === back.id);
    expect((await as(app, hidden, 'GET', `/channels/${thread.id}`)).status).toBe(200);
  });

  it('READY lists active threads with their metadata', async () => {
    const w = await world(app);
    const active = await startThread(app, w.owner, w.channelId, 'active');
    const old = await startThread(app, w.owner, w.channelId, 'old');
    await as(app, w.owner, 'PATCH', `/channels/${old.id}`, { archived: true });
    const client = await connect(app, w.owner, clients);
    const ready = client.frames[0]?.d as { channels: { id: string; thread_metadata?: unknown }[] };
    const listed = ready.channels.find((c) => c.id === active.id);
    expect(listed?.thread_metadata).toMatchObject({ archived: false, owner_id: w.owner.id });
    expect(ready.channels.map((c) => c.id)).not.toContain(old.id);
    // The server's channel list is for channels; threads are listed per channel.
    const list = await as(app, w.owner, 'GET', `/servers/${w.serverId}/channels`);
    expect(list.body.map((c: { id: string }) => c.id)).not.toContain(active.id);
  });
});

describe('deleting', () => {
  it('a thread needs MANAGE_THREADS; THREAD_DELETE; the starter loses its thread_id', async () => {
    const w = await world(app);
    const author = await join(app, w);
    const starter = await send(app, author, w.channelId, 'start here');
    const res = await as(app, author, 'POST', `/channels/${w.channelId}/messages/${starter.id}/threads`, {
      name: 'short-lived',
    });
    const threadId = res.body.id as string;
    await send(app, author, threadId, 'inside');
    const client = await connect(app, author, clients);

    const denied = await as(app, author, 'DELETE', `/channels/${threadId}`);
    expect([denied.status, denied.body.permission]).toEqual([403, 'MANAGE_THREADS']);
    expect((await as(app, w.owner, 'DELETE', `/channels/${threadId}`)).status).toBe(204);
    expect(await waitFor(client, 'THREAD_DELETE', (d) => d.id === threadId)).toEqual({
      id: threadId,
      server_id: w.serverId,
      parent_id: w.channelId,
    });
    const unlinked = await waitFor(
      client,
      'MESSAGE_UPDATE',
      (d) => d.id === starter.id && d.thread_id === null,
    );
    expect(unlinked.content).toBe('start here');
    expect((await as(app, author, 'GET', `/channels/${threadId}`)).status).toBe(404);
    expect(await app.rt.models.Message.count({ where: { channel_id: threadId } })).toBe(0);
    expect((await auditEntries(app, w.serverId, 'thread_delete')).map((e) => e.target_id)).toEqual([
      threadId,
    ]);
  });

  it('a text channel takes its threads with it', async () => {
    const w = await world(app);
    const channel = await as(app, w.owner, 'POST', `/servers/${w.serverId}/channels`, {
      name: 'doomed',
      channel_type: 'text',
    });
    const thread = await startThread(app, w.owner, channel.body.id as string);
    await send(app, w.owner, thread.id, 'bye');
    expect((await as(app, w.owner, 'DELETE', `/channels/${channel.body.id}`)).status).toBe(204);
    expect(await app.rt.models.Channel.count({ where: { id: thread.id } })).toBe(0);
    expect((await as(app, w.owner, 'GET', `/channels/${thread.id}`)).status).toBe(404);
  });
});

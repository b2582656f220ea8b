import { invalidate } from '../../../shared/domain/invalidation.js';
import { rooms, type DispatchFrame } from '../../../shared/events/index.js';
import { postSystemMessageEffect } from '../../../shared/messages/system-messages.js';
import { runCommand } from '../../../shared/outbox/index.js';
import type { MessageObject } from '../../../shared/presenters/types.js';
import { useTestApp } from '../../helpers/app.js';
import { testConfig } from '../../helpers/config.js';
import type { GatewayClient } from '../../helpers/gateway-client.js';
import {
  Permission,
  addChannel,
  as,
  denyIn,
  useGateways,
  makeWorld,
  member,
  memberWith,
  person,
  send,
  type World,
} from './pipeline-helpers.js';

const app = useTestApp();
const gw = useGateways(app);

const created = (type: string) => (f: DispatchFrame) =>
  f.t === 'MESSAGE_CREATE' && (f.d as MessageObject).type === type;

/** Waits until a message sent now has arrived: anything queued before it has been emitted too. */
async function settle(c: GatewayClient, w: World, channelId = w.channelId): Promise<void> {
  const later = await send(app, w.owner, channelId, 'sentinel');
  await c.waitForFrames(1, (f) => f.t === 'MESSAGE_CREATE' && (f.d as MessageObject).id === later.id);
}

async function inviteCode(w: World): Promise<string> {
  const res = await as(app, w.owner, 'POST', `/channels/${w.channelId}/invites`, {});
  return res.body.code as string;
}

describe('member_join', () => {
  it('joining through an invite posts member_join (author: the new member) in the first text channel, once', async () => {
    const w = await makeWorld(app);
    const c = await gw.connect(w.owner);
    const code = await inviteCode(w);
    const joiner = await person(app);
    expect((await as(app, joiner, 'POST', `/invites/${code}`)).status).toBe(200);
    const [join] = await c.waitForFrames(1, created('member_join'));
    expect(join?.d).toMatchObject({
      channel_id: w.channelId,
      author_id: joiner.id,
      type: 'member_join',
      content: '',
    });
    // Joining again while a member changes nothing.
    expect((await as(app, joiner, 'POST', `/invites/${code}`)).status).toBe(200);
    await settle(c, w);
    expect(c.frames.filter(created('member_join'))).toHaveLength(1);
  });

  it('goes to the text channel with the lowest position, skipping voice channels and categories', async () => {
    const w = await makeWorld(app);
    const announcements = await addChannel(app, w, 'announcements');
    const { Channel } = app.rt.models;
    await Channel.update({ position: 5 }, { where: { id: w.channelId } });
    await Channel.update({ position: 2 }, { where: { id: announcements } });
    await invalidate(app.rt, { channels: [w.channelId, announcements] });
    for (const [name, channel_type, position] of [
      ['talk', 'voice', 0],
      ['cat', 'category', 1],
    ] as const) {
      const res = await as(app, w.owner, 'POST', `/servers/${w.serverId}/channels`, {
        name,
        channel_type,
        position,
      });
      expect(res.status).toBe(201);
    }
    const c = await gw.connect(w.owner);
    const joiner = await person(app);
    await as(app, joiner, 'POST', `/invites/${await inviteCode(w)}`);
    const [join] = await c.waitForFrames(1, created('member_join'));
    expect(join?.d).toMatchObject({ channel_id: announcements, author_id: joiner.id });
  });
});

describe('channel_name_change', () => {
  it('a rename posts the new name (author: the renamer); other changes post nothing', async () => {
    const w = await makeWorld(app);
    const c = await gw.connect(w.owner);
    const path = `/channels/${w.channelId}`;
    expect((await as(app, w.owner, 'PATCH', path, { topic: 'just the topic' })).status).toBe(200);
    expect((await as(app, w.owner, 'PATCH', path, { name: 'general' })).status).toBe(200);
    expect((await as(app, w.owner, 'PATCH', path, { name: 'lounge' })).status).toBe(200);
    const [renamed] = await c.waitForFrames(1, created('channel_name_change'));
    expect(renamed?.d).toMatchObject({
      channel_id: w.channelId,
      author_id: w.owner.id,
      type: 'channel_name_change',
      content: 'lounge',
    });
    await settle(c, w);
    expect(c.frames.filter(created('channel_name_change'))).toHaveLength(1);
  });
});

describe('the notices of renames, joins and threads are there when the request answers', () => {
  // Creates wait for the batch window before they are stored: a route that answered before its
  // notice was stored would show the caller's next read without it.
  const slow = useTestApp({ config: testConfig({ queues: { message_batch_window_ms: 500 } }) });
  const latest = async (w: World, who = w.owner): Promise<MessageObject | undefined> =>
    (await as(slow, who, 'GET', `/channels/${w.channelId}/messages?limit=1`)).body[0] as MessageObject;

  it('channel_name_change, member_join and thread_created are read back at once', async () => {
    const w = await makeWorld(slow);
    expect((await as(slow, w.owner, 'PATCH', `/channels/${w.channelId}`, { name: 'lounge' })).status).toBe(
      200,
    );
    expect(await latest(w)).toMatchObject({ type: 'channel_name_change', content: 'lounge' });

    const invite = await as(slow, w.owner, 'POST', `/channels/${w.channelId}/invites`, {});
    const joiner = await person(slow);
    expect((await as(slow, joiner, 'POST', `/invites/${invite.body.code as string}`)).status).toBe(200);
    expect(await latest(w, joiner)).toMatchObject({ type: 'member_join', author_id: joiner.id });

    const thread = await as(slow, w.owner, 'POST', `/channels/${w.channelId}/threads`, { name: 'plans' });
    expect(thread.status).toBe(201);
    expect(await latest(w)).toMatchObject({ type: 'thread_created', content: 'plans' });
  });
});

describe('rules for system messages', () => {
  it('nobody edits them; their author may not delete them without MANAGE_MESSAGES; a moderator may', async () => {
    const w = await makeWorld(app);
    const pinner = await memberWith(app, w, Permission.PIN_MESSAGES);
    const c = await gw.connect(w.owner);
    const m = await send(app, w.owner, w.channelId, 'pin me');
    await as(app, pinner, 'PUT', `/channels/${w.channelId}/pins/${m.id}`);
    const [notice] = await c.waitForFrames(1, created('pin_added'));
    const path = `/channels/${w.channelId}/messages/${(notice?.d as MessageObject).id}`;
    const edit = await as(app, pinner, 'PATCH', path, { content: 'rewritten' });
    expect([edit.status, edit.body.code]).toEqual([400, 'system_message']);
    expect(edit.body.errors).toEqual({ message_id: 'is a system message' });
    const ownerEdit = await as(app, w.owner, 'PATCH', path, { content: 'rewritten' });
    expect([ownerEdit.status, ownerEdit.body.code]).toEqual([400, 'system_message']);
    const refused = await as(app, pinner, 'DELETE', path);
    expect([refused.status, refused.body.permission]).toEqual([403, 'MANAGE_MESSAGES']);
    expect((await as(app, w.owner, 'DELETE', path)).status).toBe(204);
    expect((await as(app, w.owner, 'GET', path)).status).toBe(404);
  });

  it('a command posting a notice (thread_created) stores and emits it through the queue', async () => {
    const w = await makeWorld(app);
    const c = await gw.connect(w.owner);
    const id = await runCommand(app.rt, rooms.channel(w.channelId), (_t, fx) =>
      Promise.resolve(
        postSystemMessageEffect(app.rt, fx, {
          channel_id: w.channelId,
          type: 'thread_created',
          author_id: w.owner.id,
          content: 'Plans',
        }),
      ),
    );
    const [notice] = await c.waitForFrames(1, created('thread_created'));
    expect(notice?.d).toMatchObject({
      id,
      type: 'thread_created',
      content: 'Plans',
      author_id: w.owner.id,
      reactions: [],
    });
    const stored = await as(app, w.owner, 'GET', `/channels/${w.channelId}/messages/${id}`);
    expect(stored.body).toMatchObject({ id, type: 'thread_created' });
  });
});

describe('replies', () => {
  it('type reply, pointing at a readable message of the same channel; otherwise 400 naming reply_to', async () => {
    const w = await makeWorld(app);
    const other = await addChannel(app, w, 'other');
    const first = await send(app, w.owner, w.channelId, 'question');
    const reply = await send(app, w.owner, w.channelId, 'answer', { reply_to: first.id });
    expect(reply).toMatchObject({ type: 'reply', reply_to: first.id });

    const elsewhere = await send(app, w.owner, other, 'elsewhere');
    for (const reply_to of [elsewhere.id, '123']) {
      const bad = await as(app, w.owner, 'POST', `/channels/${w.channelId}/messages`, {
        content: 'x',
        reply_to,
      });
      expect([reply_to, bad.status, Object.keys(bad.body.errors ?? {})]).toEqual([
        reply_to,
        400,
        ['reply_to'],
      ]);
    }
    const notId = await as(app, w.owner, 'POST', `/channels/${w.channelId}/messages`, {
      content: 'x',
      reply_to: 'abc',
    });
    expect(notId.body.errors).toHaveProperty('reply_to');

    // Without READ_MESSAGE_HISTORY an id proves nothing: the same 400 as for an unknown message.
    const blind = await member(app, w.serverId);
    await denyIn(app, w, w.channelId, blind, Permission.READ_MESSAGE_HISTORY);
    const res = await as(app, blind, 'POST', `/channels/${w.channelId}/messages`, {
      content: 'x',
      reply_to: first.id,
    });
    expect([res.status, Object.keys(res.body.errors ?? {})]).toEqual([400, ['reply_to']]);
    expect(
      (await as(app, blind, 'POST', `/channels/${w.channelId}/messages`, { content: 'plain' })).status,
    ).toBe(200);
  });
});

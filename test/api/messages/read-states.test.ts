import { invalidate } from '../../../shared/domain/invalidation.js';
import { Permission } from '../../../shared/permissions/index.js';
import type { ReadStateObject } from '../../../shared/presenters/read-state.js';
import { useTestApp } from '../../helpers/app.js';
import type { GatewayClient } from '../../helpers/gateway-client.js';
import { makeRole } from '../servers/membership-helpers.js';
import {
  as,
  connect,
  framesOf,
  join,
  send,
  settle,
  startThread,
  waitFor,
  world,
} from '../threads/helpers.js';

const clients: GatewayClient[] = [];
const app = useTestApp();
afterAll(() => {
  for (const c of clients) c.close();
});

function stateOf(states: ReadStateObject[], channelId: string): ReadStateObject | undefined {
  return states.find((s) => s.channel_id === channelId);
}

async function readStates(who: Parameters<typeof as>[1]): Promise<ReadStateObject[]> {
  const res = await as(app, who, 'GET', '/users/@me/read-states');
  expect(res.status).toBe(200);
  return res.body as ReadStateObject[];
}

const ack = (who: Parameters<typeof as>[1], channelId: string, messageId: string) =>
  as(app, who, 'POST', `/channels/${channelId}/messages/${messageId}/ack`);

describe('read states', () => {
  it('READY and GET /users/@me/read-states show unread channels; an ack marks read and tells the user’s other sessions', async () => {
    const w = await world(app);
    const reader = await join(app, w);
    const first = await send(app, w.owner, w.channelId, 'one');
    const second = await send(app, w.owner, w.channelId, 'two');

    const sessionA = await connect(app, reader, clients);
    const sessionB = await connect(app, reader, clients);
    const ownerClient = await connect(app, w.owner, clients);
    const ready = sessionA.frames[0]?.d as { read_states: ReadStateObject[] };
    expect(stateOf(ready.read_states, w.channelId)).toEqual({
      channel_id: w.channelId,
      last_read_message_id: null,
      mention_count: 0,
      unread: true,
    });
    expect(stateOf(await readStates(reader), w.channelId)).toEqual(stateOf(ready.read_states, w.channelId));

    const partly = await ack(reader, w.channelId, first.id);
    expect(partly.body).toEqual({
      channel_id: w.channelId,
      last_read_message_id: first.id,
      mention_count: 0,
      unread: true,
    });
    const all = await ack(reader, w.channelId, second.id);
    expect(all.body).toMatchObject({ last_read_message_id: second.id, unread: false });
    expect(await waitFor(sessionB, 'MESSAGE_ACK', (d) => d.message_id === second.id)).toEqual({
      channel_id: w.channelId,
      message_id: second.id,
      mention_count: 0,
    });
    await settle(app, ownerClient, w.owner.id);
    expect(framesOf(ownerClient, 'MESSAGE_ACK')).toHaveLength(0);

    // Only forward: an older ack changes nothing and tells nobody.
    const back = await ack(reader, w.channelId, first.id);
    expect(back.body).toMatchObject({ last_read_message_id: second.id, unread: false });
    await settle(app, sessionB, reader.id);
    expect(framesOf(sessionB, 'MESSAGE_ACK')).toHaveLength(2);

    // A newer message makes it unread again; the reader's own message does not.
    await send(app, w.owner, w.channelId, 'three');
    expect(stateOf(await readStates(reader), w.channelId)?.unread).toBe(true);
    const mine = await send(app, reader, w.channelId, 'read it all');
    expect(stateOf(await readStates(reader), w.channelId)).toMatchObject({
      last_read_message_id: mine.id,
      unread: false,
    });
  });

  it('counts mentions (direct, role, @everyone) after the read position; an ack recounts them', async () => {
    const w = await world(app);
    const role = await makeRole(app, w.serverId, { position: 1 });
    await role.update({ mentionable: true });
    await invalidate(app.rt, { servers: [w.serverId] });
    const reader = await join(app, w, [role.id]);
    const author = await join(app, w);
    await send(app, author, w.channelId, 'nothing for you');
    const direct = await send(app, author, w.channelId, `hey <@${reader.id}>`);
    await send(app, author, w.channelId, `hey <@&${role.id}>`);
    await send(app, w.owner, w.channelId, '@everyone hello');
    await send(app, author, w.channelId, '@everyone (not allowed to ping)');
    expect(stateOf(await readStates(reader), w.channelId)?.mention_count).toBe(3);

    const acked = await ack(reader, w.channelId, direct.id);
    expect(acked.body).toMatchObject({ last_read_message_id: direct.id, mention_count: 2, unread: true });
    // A mention older than the read position does not count.
    expect(stateOf(await readStates(reader), w.channelId)?.mention_count).toBe(2);
  });

  it('a deleted message takes its unread mention and, if newest, its unread state with it', async () => {
    const w = await world(app);
    const reader = await join(app, w);
    const seen = await send(app, w.owner, w.channelId, 'seen');
    await ack(reader, w.channelId, seen.id);
    const ping = await send(app, w.owner, w.channelId, `<@${reader.id}> look`);
    expect(stateOf(await readStates(reader), w.channelId)).toMatchObject({ mention_count: 1, unread: true });
    expect((await as(app, w.owner, 'DELETE', `/channels/${w.channelId}/messages/${ping.id}`)).status).toBe(
      204,
    );
    expect(stateOf(await readStates(reader), w.channelId)).toMatchObject({ mention_count: 0, unread: false });
  });

  it('threads have read states of their own; hidden channels have none; 404 for unknown ids', async () => {
    const w = await world(app);
    const reader = await join(app, w);
    const thread = await startThread(app, w.owner, w.channelId);
    const inThread = await send(app, w.owner, thread.id, `<@${reader.id}> in the thread`);
    expect(stateOf(await readStates(reader), thread.id)).toEqual({
      channel_id: thread.id,
      last_read_message_id: null,
      mention_count: 1,
      unread: true,
    });
    expect((await ack(reader, thread.id, inThread.id)).body).toMatchObject({
      mention_count: 0,
      unread: false,
    });

    const hidden = await as(app, w.owner, 'POST', `/servers/${w.serverId}/channels`, {
      name: 'staff',
      channel_type: 'text',
    });
    await as(app, w.owner, 'PUT', `/channels/${hidden.body.id}/permissions/${w.serverId}`, {
      type: 'role',
      deny: String(Permission.VIEW_CHANNEL),
    });
    const staffOnly = await send(app, w.owner, hidden.body.id as string, 'staff only');
    expect(stateOf(await readStates(reader), hidden.body.id as string)).toBeUndefined();
    const blind = await ack(reader, hidden.body.id as string, staffOnly.id);
    expect([blind.status, blind.body.code]).toEqual([404, 'unknown_channel']);
    const unknown = await ack(reader, w.channelId, '1');
    expect([unknown.status, unknown.body.code]).toEqual([404, 'unknown_message']);
    const otherChannel = await ack(reader, w.channelId, inThread.id);
    expect([otherChannel.status, otherChannel.body.code]).toEqual([404, 'unknown_message']);
  });
});

import { useTestApp } from '../../helpers/app.js';
import type { DispatchFrame } from '../../../shared/events/index.js';
import type { MessageObject } from '../../../shared/presenters/types.js';
import {
  Permission,
  addChannel,
  as,
  useGateways,
  makeWorld,
  member,
  memberWith,
  person,
  seed,
  send,
} from './pipeline-helpers.js';

const app = useTestApp();
const gw = useGateways(app);

const bulk = (channelId: string) => `/channels/${channelId}/messages/bulk-delete`;
const isBulk = (f: DispatchFrame) => f.t === 'MESSAGE_DELETE_BULK';
const DAY_MS = 24 * 3600 * 1000;

describe('bulk delete', () => {
  it('deletes the listed messages of the channel in one event; other channels’ and unknown ids are ignored', async () => {
    const w = await makeWorld(app);
    const other = await addChannel(app, w, 'elsewhere');
    const c = await gw.connect(w.owner);
    const ids = await seed(app, w.channelId, w.owner.id, ['a', 'b', 'c', 'keep']);
    const [foreign] = await seed(app, other, w.owner.id, ['not here']);
    await app.rt.models.MessageReaction.create({
      message_id: ids[0] as string,
      emoji: '👍',
      user_id: w.owner.id,
    });
    const doomed = ids.slice(0, 3);
    const res = await as(app, w.owner, 'POST', bulk(w.channelId), {
      messages: [doomed[2], foreign, '999999', doomed[0], doomed[1]],
    });
    expect(res.status).toBe(204);
    expect(await app.rt.models.Message.count({ where: { id: doomed } })).toBe(0);
    expect(await app.rt.models.Message.count({ where: { id: [ids[3] as string, foreign as string] } })).toBe(
      2,
    );
    expect(await app.rt.models.MessageReaction.count({ where: { message_id: ids[0] as string } })).toBe(0);

    const [event] = await c.waitForFrames(1, isBulk);
    expect(event?.d).toEqual({ ids: doomed, channel_id: w.channelId });
    const history = await as(app, w.owner, 'GET', `/channels/${w.channelId}/messages`);
    expect(history.body.map((m: MessageObject) => m.id)).toEqual([ids[3]]);
  });

  it('the same request again is a no-op: 204, no second event', async () => {
    const w = await makeWorld(app);
    const c = await gw.connect(w.owner);
    const ids = await seed(app, w.channelId, w.owner.id, ['a', 'b']);
    expect((await as(app, w.owner, 'POST', bulk(w.channelId), { messages: ids })).status).toBe(204);
    expect((await as(app, w.owner, 'POST', bulk(w.channelId), { messages: [...ids].reverse() })).status).toBe(
      204,
    );
    await c.waitForFrames(1, isBulk);
    const later = await send(app, w.owner, w.channelId, 'sentinel');
    await c.waitForFrames(1, (f) => f.t === 'MESSAGE_CREATE' && (f.d as MessageObject).id === later.id);
    expect(c.frames.filter(isBulk)).toHaveLength(1);
  });

  it('deletes messages of any age (no 14-day limit)', async () => {
    const w = await makeWorld(app);
    const old = await seed(app, w.channelId, w.owner.id, ['ancient', 'older'], {
      at: new Date(Date.now() - 400 * DAY_MS),
    });
    expect((await as(app, w.owner, 'POST', bulk(w.channelId), { messages: old })).status).toBe(204);
    expect(await app.rt.models.Message.count({ where: { id: old } })).toBe(0);
  });

  it.each([
    ['one id', ['1']],
    ['101 ids', Array.from({ length: 101 }, (_, i) => String(i + 1))],
    ['duplicates', ['5', '5']],
    ['a non-snowflake', ['1', 'abc']],
    ['not an array', '1,2'],
  ])('400 naming messages for %s', async (_what, messages) => {
    const w = await makeWorld(app);
    const res = await as(app, w.owner, 'POST', bulk(w.channelId), { messages });
    expect(res.status).toBe(400);
    expect(Object.keys(res.body.errors).some((k) => k.startsWith('messages'))).toBe(true);
  });

  it('400 naming messages when missing', async () => {
    const w = await makeWorld(app);
    const res = await as(app, w.owner, 'POST', bulk(w.channelId), {});
    expect(res.body.errors).toHaveProperty('messages');
  });

  it('accepts exactly 100 ids', async () => {
    const w = await makeWorld(app);
    const ids = await seed(
      app,
      w.channelId,
      w.owner.id,
      Array.from({ length: 100 }, (_, i) => `m${i}`),
    );
    expect((await as(app, w.owner, 'POST', bulk(w.channelId), { messages: ids })).status).toBe(204);
    expect(await app.rt.models.Message.count({ where: { channel_id: w.channelId } })).toBe(0);
  });

  it('needs MANAGE_MESSAGES (403 naming it); strangers get 404; nobody bulk-deletes in a DM', async () => {
    const w = await makeWorld(app);
    const ids = await seed(app, w.channelId, w.owner.id, ['a', 'b']);
    const plain = await member(app, w.serverId);
    const refused = await as(app, plain, 'POST', bulk(w.channelId), { messages: ids });
    expect([refused.status, refused.body.permission]).toEqual([403, 'MANAGE_MESSAGES']);
    const stranger = await person(app);
    expect((await as(app, stranger, 'POST', bulk(w.channelId), { messages: ids })).status).toBe(404);
    expect(await app.rt.models.Message.count({ where: { id: ids } })).toBe(2);
    const mod = await memberWith(app, w, Permission.MANAGE_MESSAGES);
    expect((await as(app, mod, 'POST', bulk(w.channelId), { messages: ids })).status).toBe(204);

    const dm = await as(app, plain, 'POST', '/users/@me/channels', { recipient_id: stranger.id });
    const dmIds = await seed(app, dm.body.id, plain.id, ['x', 'y']);
    const inDm = await as(app, plain, 'POST', bulk(dm.body.id), { messages: dmIds });
    expect([inDm.status, inDm.body.permission]).toEqual([403, 'MANAGE_MESSAGES']);
  });
});

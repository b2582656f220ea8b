import { useTestApp } from '../../helpers/app.js';
import type { DispatchFrame } from '../../../shared/events/index.js';
import type { MessageObject } from '../../../shared/presenters/types.js';
import {
  Permission,
  as,
  useGateways,
  makeWorld,
  member,
  memberWith,
  person,
  seed,
  send,
  setEveryone,
} from './pipeline-helpers.js';

const app = useTestApp();
const gw = useGateways(app);

const pinPath = (channelId: string, messageId: string) => `/channels/${channelId}/pins/${messageId}`;
const created = (type: string) => (f: DispatchFrame) =>
  f.t === 'MESSAGE_CREATE' && (f.d as MessageObject).type === type;
const updated = (id: string, pinned: boolean) => (f: DispatchFrame) =>
  f.t === 'MESSAGE_UPDATE' && (f.d as MessageObject).id === id && (f.d as MessageObject).pinned === pinned;
const notices = (channelId: string) =>
  app.rt.models.Message.count({ where: { channel_id: channelId, type: 'pin_added' } });

describe('pinning', () => {
  it('pins: MESSAGE_UPDATE, then a pin_added notice by the pinner replying to the message', async () => {
    const w = await makeWorld(app);
    const pinner = await memberWith(app, w, Permission.PIN_MESSAGES);
    const c = await gw.connect(w.owner);
    const m = await send(app, w.owner, w.channelId, 'remember this');
    expect((await as(app, pinner, 'PUT', pinPath(w.channelId, m.id))).status).toBe(204);

    const [update] = await c.waitForFrames(1, updated(m.id, true));
    expect(update?.d).toMatchObject({ id: m.id, pinned: true, content: 'remember this' });
    const [notice] = await c.waitForFrames(1, created('pin_added'));
    expect(notice?.d).toMatchObject({
      channel_id: w.channelId,
      author_id: pinner.id,
      type: 'pin_added',
      content: '',
      reply_to: m.id,
    });
    const got = await as(app, w.owner, 'GET', `/channels/${w.channelId}/messages/${m.id}`);
    expect(got.body.pinned).toBe(true);
  });

  it('pinning a pinned message is a no-op: 204, no second notice', async () => {
    const w = await makeWorld(app);
    const c = await gw.connect(w.owner);
    const m = await send(app, w.owner, w.channelId, 'once');
    expect((await as(app, w.owner, 'PUT', pinPath(w.channelId, m.id))).status).toBe(204);
    await c.waitForFrames(1, created('pin_added'));
    expect((await as(app, w.owner, 'PUT', pinPath(w.channelId, m.id))).status).toBe(204);
    // Concurrent repeats share one job.
    const again = await Promise.all([1, 2, 3].map(() => as(app, w.owner, 'PUT', pinPath(w.channelId, m.id))));
    expect(again.map((r) => r.status)).toEqual([204, 204, 204]);
    const later = await send(app, w.owner, w.channelId, 'sentinel');
    await c.waitForFrames(1, (f) => f.t === 'MESSAGE_CREATE' && (f.d as MessageObject).id === later.id);
    expect(await notices(w.channelId)).toBe(1);
    expect(c.frames.filter(updated(m.id, true))).toHaveLength(1);
  });

  it('concurrent first pins of one message post one notice', async () => {
    const w = await makeWorld(app);
    const c = await gw.connect(w.owner);
    const m = await send(app, w.owner, w.channelId, 'race');
    const results = await Promise.all(
      [1, 2, 3, 4].map(() => as(app, w.owner, 'PUT', pinPath(w.channelId, m.id))),
    );
    expect(results.map((r) => r.status)).toEqual([204, 204, 204, 204]);
    await c.waitForFrames(1, created('pin_added'));
    const later = await send(app, w.owner, w.channelId, 'sentinel');
    await c.waitForFrames(1, (f) => f.t === 'MESSAGE_CREATE' && (f.d as MessageObject).id === later.id);
    expect(await notices(w.channelId)).toBe(1);
  });

  it('lists pins newest pin first (not newest message first)', async () => {
    const w = await makeWorld(app);
    const [older, newer, unpinned] = await seed(app, w.channelId, w.owner.id, ['older', 'newer', 'plain']);
    await as(app, w.owner, 'PUT', pinPath(w.channelId, newer as string));
    await as(app, w.owner, 'PUT', pinPath(w.channelId, older as string));
    const res = await as(app, w.owner, 'GET', `/channels/${w.channelId}/pins`);
    expect(res.status).toBe(200);
    expect(res.body.map((m: MessageObject) => m.id)).toEqual([older, newer]);
    expect(res.body.map((m: MessageObject) => m.id)).not.toContain(unpinned);
    expect(res.body[0]).toMatchObject({ pinned: true, reactions: [] });
  });

  it('unpins: MESSAGE_UPDATE only, no notice; unpinning again is a no-op; pinning again posts a new notice', async () => {
    const w = await makeWorld(app);
    const c = await gw.connect(w.owner);
    const m = await send(app, w.owner, w.channelId, 'toggle');
    await as(app, w.owner, 'PUT', pinPath(w.channelId, m.id));
    await c.waitForFrames(1, created('pin_added'));
    expect((await as(app, w.owner, 'DELETE', pinPath(w.channelId, m.id))).status).toBe(204);
    await c.waitForFrames(1, updated(m.id, false));
    expect((await as(app, w.owner, 'DELETE', pinPath(w.channelId, m.id))).status).toBe(204);
    expect((await as(app, w.owner, 'GET', `/channels/${w.channelId}/pins`)).body).toEqual([]);
    expect(await notices(w.channelId)).toBe(1);

    expect((await as(app, w.owner, 'PUT', pinPath(w.channelId, m.id))).status).toBe(204);
    await c.waitForFrames(2, created('pin_added'));
    expect(await notices(w.channelId)).toBe(2);
    expect((await as(app, w.owner, 'GET', `/channels/${w.channelId}/pins`)).body).toHaveLength(1);
  });

  it('a channel holds at most 50 pins: the 51st is 400 too_many_pins', async () => {
    const w = await makeWorld(app);
    const ids = await seed(
      app,
      w.channelId,
      w.owner.id,
      Array.from({ length: 51 }, (_, i) => `m${i}`),
    );
    await app.rt.models.Message.update(
      { pinned: true, pinned_at: new Date() },
      { where: { id: ids.slice(0, 50) } },
    );
    const res = await as(app, w.owner, 'PUT', pinPath(w.channelId, ids[50] as string));
    expect([res.status, res.body.code]).toEqual([400, 'too_many_pins']);
    expect((await app.rt.models.Message.findByPk(ids[50]))?.pinned).toBe(false);
    // One unpinned makes room again.
    await as(app, w.owner, 'DELETE', pinPath(w.channelId, ids[0] as string));
    expect((await as(app, w.owner, 'PUT', pinPath(w.channelId, ids[50] as string))).status).toBe(204);
  });
});

describe('who may pin', () => {
  it('needs PIN_MESSAGES or MANAGE_MESSAGES; 404 for strangers and unknown messages', async () => {
    const w = await makeWorld(app);
    const m = await send(app, w.owner, w.channelId, 'pin me');
    const plain = await member(app, w.serverId);
    const refused = await as(app, plain, 'PUT', pinPath(w.channelId, m.id));
    expect([refused.status, refused.body.code, refused.body.permission]).toEqual([
      403,
      'missing_permission',
      'PIN_MESSAGES',
    ]);
    expect((await as(app, plain, 'DELETE', pinPath(w.channelId, m.id))).status).toBe(403);
    const mod = await memberWith(app, w, Permission.MANAGE_MESSAGES);
    expect((await as(app, mod, 'PUT', pinPath(w.channelId, m.id))).status).toBe(204);
    const stranger = await person(app);
    expect((await as(app, stranger, 'PUT', pinPath(w.channelId, m.id))).status).toBe(404);
    expect((await as(app, stranger, 'GET', `/channels/${w.channelId}/pins`)).status).toBe(404);
    const unknown = await as(app, w.owner, 'PUT', pinPath(w.channelId, '12345'));
    expect([unknown.status, unknown.body.code]).toEqual([404, 'unknown_message']);
    expect((await as(app, w.owner, 'PUT', pinPath(w.channelId, 'abc'))).status).toBe(400);
  });

  it('listing pins needs READ_MESSAGE_HISTORY', async () => {
    const w = await makeWorld(app);
    await setEveryone(app, w.serverId, (p) => p & ~Permission.READ_MESSAGE_HISTORY);
    const plain = await member(app, w.serverId);
    const res = await as(app, plain, 'GET', `/channels/${w.channelId}/pins`);
    expect([res.status, res.body.permission]).toEqual([403, 'READ_MESSAGE_HISTORY']);
  });

  it('system messages cannot be pinned', async () => {
    const w = await makeWorld(app);
    const c = await gw.connect(w.owner);
    const m = await send(app, w.owner, w.channelId, 'x');
    await as(app, w.owner, 'PUT', pinPath(w.channelId, m.id));
    const [notice] = await c.waitForFrames(1, created('pin_added'));
    const res = await as(app, w.owner, 'PUT', pinPath(w.channelId, (notice?.d as MessageObject).id));
    expect([res.status, res.body.code]).toEqual([400, 'system_message']);
    expect(res.body.errors).toEqual({ message_id: 'is a system message' });
  });

  it('both recipients of a DM may pin', async () => {
    const a = await person(app);
    const b = await person(app);
    const dm = await as(app, a, 'POST', '/users/@me/channels', { recipient_id: b.id });
    const m = await send(app, a, dm.body.id, 'our plan');
    expect((await as(app, b, 'PUT', pinPath(dm.body.id, m.id))).status).toBe(204);
    expect(
      (await as(app, a, 'GET', `/channels/${dm.body.id}/pins`)).body.map((x: MessageObject) => x.id),
    ).toEqual([m.id]);
  });
});

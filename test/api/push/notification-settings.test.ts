import { Permission } from '../../../shared/permissions/index.js';
import { useTestApp } from '../../helpers/app.js';
import { person } from '../servers/membership-helpers.js';
import { as, join, startThread, world } from '../threads/helpers.js';

const app = useTestApp({ gateway: false });

const now = () => Math.floor(Date.now() / 1000);

describe('server mutes', () => {
  it('default to not muted; PUT stores {muted, muted_until}; `active` says whether it silences now', async () => {
    const w = await world(app);
    const me = await join(app, w);
    const path = `/users/@me/notification-settings/servers/${w.serverId}`;
    expect((await as(app, me, 'GET', path)).body).toEqual({
      server_id: w.serverId,
      muted: false,
      muted_until: null,
      active: false,
    });
    const until = now() + 3600;
    const put = await as(app, me, 'PUT', path, { muted: true, muted_until: until });
    expect([put.status, put.body]).toEqual([
      200,
      { server_id: w.serverId, muted: true, muted_until: until, active: true },
    ]);
    expect((await as(app, me, 'GET', path)).body).toEqual(put.body);
    const lapsed = await as(app, me, 'PUT', path, { muted: true, muted_until: now() - 10 });
    expect(lapsed.body).toMatchObject({ muted: true, active: false });
    expect((await as(app, me, 'PUT', path, { muted: true })).body).toMatchObject({
      muted_until: null,
      active: true,
    });
    expect((await as(app, me, 'PUT', path, { muted: false })).body).toMatchObject({
      muted: false,
      active: false,
    });
    // Someone else's settings are their own.
    expect((await as(app, w.owner, 'GET', path)).body.muted).toBe(false);
  });

  it('400 names the bad field; 404 for servers the caller is not in', async () => {
    const w = await world(app);
    const me = await join(app, w);
    const path = `/users/@me/notification-settings/servers/${w.serverId}`;
    const cases: [unknown, string][] = [
      [{}, 'muted'],
      [{ muted: 'yes' }, 'muted'],
      [{ muted: false, muted_until: now() + 60 }, 'muted_until'],
      [{ muted: true, muted_until: 'tomorrow' }, 'muted_until'],
      [{ muted: true, muted_until: -1 }, 'muted_until'],
      [{ muted: true, volume: 3 }, 'volume'],
    ];
    for (const [body, field] of cases) {
      const res = await as(app, me, 'PUT', path, body);
      expect([res.status, Object.keys(res.body.errors ?? {})]).toEqual([400, [field]]);
    }
    const outsider = await person(app);
    for (const method of ['GET', 'PUT']) {
      const res = await as(app, outsider, method, path, method === 'PUT' ? { muted: true } : undefined);
      expect([res.status, res.body.code]).toEqual([404, 'unknown_server']);
    }
    const unknown = await as(app, me, 'GET', '/users/@me/notification-settings/servers/123');
    expect(unknown.status).toBe(404);
    expect(
      (await as(app, me, 'GET', '/users/@me/notification-settings/servers/abc')).body.errors,
    ).toHaveProperty('server_id');
  });
});

describe('channel mutes', () => {
  it('follow the server (inherited) until set; their own setting wins; DELETE returns to inheriting', async () => {
    const w = await world(app);
    const me = await join(app, w);
    const path = `/users/@me/notification-settings/channels/${w.channelId}`;
    expect((await as(app, me, 'GET', path)).body).toEqual({
      channel_id: w.channelId,
      muted: false,
      muted_until: null,
      active: false,
      inherited: true,
    });
    await as(app, me, 'PUT', `/users/@me/notification-settings/servers/${w.serverId}`, { muted: true });
    expect((await as(app, me, 'GET', path)).body).toMatchObject({
      muted: true,
      active: true,
      inherited: true,
    });
    const own = await as(app, me, 'PUT', path, { muted: false });
    expect([own.status, own.body]).toEqual([
      200,
      { channel_id: w.channelId, muted: false, muted_until: null, active: false, inherited: false },
    ]);
    expect((await as(app, me, 'GET', path)).body).toEqual(own.body);

    // A thread follows its parent channel's own setting.
    const thread = await startThread(app, w.owner, w.channelId);
    const threadPath = `/users/@me/notification-settings/channels/${thread.id}`;
    expect((await as(app, me, 'GET', threadPath)).body).toMatchObject({ muted: false, inherited: true });

    expect((await as(app, me, 'DELETE', path)).status).toBe(204);
    expect((await as(app, me, 'DELETE', path)).status).toBe(204);
    expect((await as(app, me, 'GET', path)).body).toMatchObject({ muted: true, inherited: true });

    const all = await as(app, me, 'GET', '/users/@me/notification-settings');
    expect(all.body).toEqual({
      servers: [{ server_id: w.serverId, muted: true, muted_until: null, active: true }],
      channels: [],
    });
  });

  it('404 for channels the caller cannot see: hidden ones, other people’s DMs, unknown ids', async () => {
    const w = await world(app);
    const me = await join(app, w);
    const hide = await as(app, w.owner, 'PUT', `/channels/${w.channelId}/permissions/${me.id}`, {
      type: 'member',
      deny: String(Permission.VIEW_CHANNEL),
    });
    expect(hide.status).toBeLessThan(300);
    const other = await person(app);
    const dm = await as(app, w.owner, 'POST', '/users/@me/channels', { recipient_id: other.id });
    for (const channelId of [w.channelId, dm.body.id as string, '123']) {
      const path = `/users/@me/notification-settings/channels/${channelId}`;
      for (const [method, body] of [['GET'], ['PUT', { muted: true }], ['DELETE']] as const) {
        const res = await as(app, me, method, path, body);
        expect([method, channelId, res.status, res.body?.code]).toEqual([
          method,
          channelId,
          404,
          'unknown_channel',
        ]);
      }
    }
    // Their own DM they can mute.
    const mine = await as(app, other, 'PUT', `/users/@me/notification-settings/channels/${dm.body.id}`, {
      muted: true,
    });
    expect(mine.body).toMatchObject({ muted: true, inherited: false });
    expect((await as(app, other, 'GET', '/users/@me/notification-settings')).body.channels).toEqual([
      mine.body,
    ]);
  });
});

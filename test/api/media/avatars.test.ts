import sharp from 'sharp';
import type { DispatchFrame } from '../../../shared/events/index.js';
import { api, registerUser, type TestUser } from '../../helpers/accounts.js';
import { animatedGif, png as pngOf, sendForm } from '../../helpers/media.js';
import { useTestApp } from '../../helpers/app.js';
import { connectGateway, type GatewayClient } from '../../helpers/gateway-client.js';
import { until } from '../../helpers/services.js';
import { addMember, makeServer } from '../servers/helpers.js';

const clients: GatewayClient[] = [];
const app = useTestApp();
afterAll(() => {
  for (const c of clients) c.close();
});

const upload = (method: string, path: string, user: TestUser, data: Buffer | null, type = 'image/png') =>
  sendForm(app, method, path, user, [
    data ? { name: 'image', filename: 'picture', type, data } : { field: 'note', value: 'no file here' },
  ]);

const png = (width = 300, height = 150) => pngOf(width, height, { r: 20, g: 30, b: 200 });

/** GETs a picture's URL exactly as the API handed it out: always absolute. */
async function media(url: string): Promise<{ status: number; data: Buffer }> {
  expect(url.startsWith(`${app.origin}/api/v1/media/`)).toBe(true);
  const res = await fetch(url);
  return { status: res.status, data: Buffer.from(await res.arrayBuffer()) };
}

/** Replaced files go after the commit, in a job of the workers: wait until `url` is gone. */
const deleted = (url: string) => until(async () => (await media(url)).status === 404, `${url} deleted`);

describe('PATCH/DELETE /users/@me/avatar', () => {
  it('stores a 256x256 WebP + PNG, sets avatar_url, sends USER_UPDATE, deletes the old files', async () => {
    const user = await registerUser(app);
    const watching = await connectGateway(app.origin, { token: user.token });
    clients.push(watching);

    const first = await upload('PATCH', '/users/@me/avatar', user, await png());
    expect(first.status).toBe(200);
    const url = first.body.avatar_url as string;
    expect(url).toMatch(new RegExp(`^${app.origin}/api/v1/media/avatars/${user.id}/\\d+\\.webp$`));
    const webp = await sharp((await media(url)).data).metadata();
    expect([webp.format, webp.width, webp.height, webp.hasAlpha]).toEqual(['webp', 256, 256, true]);
    const fallback = await sharp((await media(url.replace(/\.webp$/, '.png'))).data).metadata();
    expect([fallback.format, fallback.width, fallback.height]).toEqual(['png', 256, 256]);
    const frames = await watching.waitForFrames(1, (f) => f.t === 'USER_UPDATE');
    expect((frames[0] as DispatchFrame<'USER_UPDATE'>).d).toMatchObject({ id: user.id, avatar_url: url });
    const me = await api(app, 'GET', '/users/@me', { token: user.token });
    expect(me.body.avatar_url).toBe(url);
    // The row keeps the bare path: the listening address is never stored.
    const row = await app.rt.models.User.findByPk(user.id, { rejectOnEmpty: true });
    expect(row.avatar_url).toBe(new URL(url).pathname);
    // READY on a new connection shows it absolute too.
    const fresh = await connectGateway(app.origin, { token: user.token });
    clients.push(fresh);
    const ready = fresh.frames.find((f) => f.t === 'READY') as DispatchFrame<'READY'>;
    expect(ready.d.user.avatar_url).toBe(url);

    const second = await upload('PATCH', '/users/@me/avatar', user, await png(100, 100), 'image/png');
    expect(second.status).toBe(200);
    expect(second.body.avatar_url).not.toBe(url);
    await deleted(url);
    await deleted(url.replace(/\.webp$/, '.png'));

    const removed = await api(app, 'DELETE', '/users/@me/avatar', { token: user.token });
    expect(removed.status).toBe(204);
    expect((await api(app, 'GET', '/users/@me', { token: user.token })).body.avatar_url).toBeNull();
    await deleted(second.body.avatar_url as string);
    await watching.waitForFrames(3, (f) => f.t === 'USER_UPDATE');
  });

  it('an animated GIF keeps its first frame only', async () => {
    const user = await registerUser(app);
    const res = await upload('PATCH', '/users/@me/avatar', user, await animatedGif(), 'image/gif');
    expect(res.status).toBe(200);
    const meta = await sharp((await media(res.body.avatar_url)).data, { animated: true }).metadata();
    expect([meta.format, meta.pages ?? 1, meta.width, meta.height]).toEqual(['webp', 1, 256, 256]);
  });

  it('refuses a missing file (400), other types (415), too many pixels (413), naming `image`', async () => {
    const user = await registerUser(app);
    const none = await upload('PATCH', '/users/@me/avatar', user, null);
    expect([none.status, Object.keys(none.body.errors)]).toEqual([400, ['image']]);
    const pdf = await upload(
      'PATCH',
      '/users/@me/avatar',
      user,
      Buffer.from('%PDF-1.4\n%...\n'),
      'image/png',
    );
    expect([pdf.status, Object.keys(pdf.body.errors)]).toEqual([415, ['image']]);
    const huge = await upload('PATCH', '/users/@me/avatar', user, await png(4097, 8));
    expect([huge.status, huge.body.code, Object.keys(huge.body.errors)]).toEqual([
      413,
      'image_too_large',
      ['image'],
    ]);
    expect((await api(app, 'GET', '/users/@me', { token: user.token })).body.avatar_url).toBeNull();
  });

  it('never deletes files an avatar_url set by hand points at', async () => {
    const victim = await registerUser(app);
    const theirs = (await upload('PATCH', '/users/@me/avatar', victim, await png())).body
      .avatar_url as string;
    const user = await registerUser(app);
    const patched = await api(app, 'PATCH', '/users/@me', {
      token: user.token,
      body: { avatar_url: `https://chat.example${new URL(theirs).pathname}` },
    });
    expect(patched.status).toBe(200);
    expect((await upload('PATCH', '/users/@me/avatar', user, await png())).status).toBe(200);
    expect((await media(theirs)).status).toBe(200);
  });
});

describe('the avatar through PATCH /users/@me (API.md: profile, avatar via upload)', () => {
  it('takes the image as a multipart `avatar` file, with a username beside it', async () => {
    const user = await registerUser(app);
    const renamed = `${user.username}_a`.slice(0, 32);
    const res = await sendForm(app, 'PATCH', '/users/@me', user, [
      { name: 'avatar', filename: 'me.png', type: 'image/png', data: await png() },
      { field: 'username', value: renamed },
    ]);
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ id: user.id, username: renamed });
    const url = res.body.avatar_url as string;
    expect(url).toMatch(new RegExp(`^${app.origin}/api/v1/media/avatars/${user.id}/\\d+\\.webp$`));
    const stored = await sharp((await media(url)).data).metadata();
    expect([stored.format, stored.width, stored.height]).toEqual(['webp', 256, 256]);
    expect((await api(app, 'GET', '/users/@me', { token: user.token })).body.avatar_url).toBe(url);
    const badName = await sendForm(app, 'PATCH', '/users/@me', user, [
      { name: 'avatar', filename: 'me.png', type: 'image/png', data: await png() },
      { field: 'username', value: '!' },
    ]);
    expect([badName.status, Object.keys(badName.body.errors as object)]).toEqual([400, ['username']]);
    const noFile = await sendForm(app, 'PATCH', '/users/@me', user, [{ field: 'username', value: 'x_y' }]);
    expect([noFile.status, Object.keys(noFile.body.errors as object)]).toEqual([400, ['avatar']]);
  });

  it('takes JSON `avatar` as a data URI (null removes it), checked before anything changes', async () => {
    const user = await registerUser(app);
    const dataUri = `data:image/png;base64,${(await png(64, 64)).toString('base64')}`;
    const res = await api(app, 'PATCH', '/users/@me', { token: user.token, body: { avatar: dataUri } });
    expect(res.status).toBe(200);
    const url = res.body.avatar_url as string;
    expect(url).toMatch(new RegExp(`^${app.origin}/api/v1/media/avatars/${user.id}/\\d+\\.webp$`));
    expect((await media(url)).status).toBe(200);
    const renamed = `${user.username}_b`.slice(0, 32);
    const bad = await api(app, 'PATCH', '/users/@me', {
      token: user.token,
      body: { username: renamed, avatar: 'data:image/png;base64,aGVsbG8=' },
    });
    expect([bad.status, Object.keys(bad.body.errors as object)]).toEqual([415, ['avatar']]);
    const notUri = await api(app, 'PATCH', '/users/@me', { token: user.token, body: { avatar: 'hello' } });
    expect([notUri.status, Object.keys(notUri.body.errors as object)]).toEqual([400, ['avatar']]);
    expect((await api(app, 'GET', '/users/@me', { token: user.token })).body).toMatchObject({
      username: user.username,
      avatar_url: url,
    });
    const removed = await api(app, 'PATCH', '/users/@me', { token: user.token, body: { avatar: null } });
    expect([removed.status, removed.body.avatar_url]).toEqual([200, null]);
    await deleted(url);
  });
});

describe('stored avatars and icons handed out elsewhere', () => {
  it('member lists, invite previews and report snapshots show them absolute', async () => {
    const owner = await registerUser(app);
    const { serverId, generalId } = await makeServer(app, owner);
    const member = await registerUser(app);
    await addMember(app, serverId, member.id);
    const members = async () =>
      (await api(app, 'GET', `/servers/${serverId}/members`, { token: owner.token })).body as {
        user: { id: string; avatar_url: string | null };
      }[];
    // Cached now: the avatar change below must move the page.
    expect((await members()).find((m) => m.user.id === member.id)?.user.avatar_url).toBeNull();
    const avatar = (await upload('PATCH', '/users/@me/avatar', member, await png())).body
      .avatar_url as string;
    expect((await media(avatar)).status).toBe(200);
    expect((await members()).find((m) => m.user.id === member.id)?.user.avatar_url).toBe(avatar);
    const icon = (await upload('PATCH', `/servers/${serverId}/icon`, owner, await png())).body
      .icon_url as string;
    expect((await media(icon)).status).toBe(200);

    const invite = await api(app, 'POST', `/channels/${generalId}/invites`, { token: owner.token, body: {} });
    const preview = await api(app, 'GET', `/invites/${invite.body.code as string}`);
    expect(preview.body.server.icon_url).toBe(icon);

    const filed = await api(app, 'POST', '/reports', {
      token: owner.token,
      body: { target_type: 'user', target_id: member.id, reason: 'test', server_id: serverId },
    });
    expect(filed.status).toBe(201);
    const reports = await api(app, 'GET', `/servers/${serverId}/reports`, { token: owner.token });
    const snapshot = reports.body.find((r: { id: string }) => r.id === filed.body.id).snapshot;
    expect(snapshot.user.avatar_url).toBe(avatar);
    // The snapshot is stored as the row keeps the avatar: the bare path.
    const row = await app.rt.models.Report.findByPk(filed.body.id as string, { rejectOnEmpty: true });
    expect((row.snapshot.user as { avatar_url: string }).avatar_url).toBe(new URL(avatar).pathname);
  });
});

describe('PATCH/DELETE /servers/{id}/icon', () => {
  it('MANAGE_SERVER stores a 512x512 icon, SERVER_UPDATE, audit entry with the upload; DELETE clears', async () => {
    const owner = await registerUser(app);
    const { serverId } = await makeServer(app, owner);
    const member = await registerUser(app);
    await addMember(app, serverId, member.id);
    const outsider = await registerUser(app);
    const watching = await connectGateway(app.origin, { token: member.token });
    clients.push(watching);

    const denied = await upload('PATCH', `/servers/${serverId}/icon`, member, await png());
    expect([denied.status, denied.body.permission]).toEqual([403, 'MANAGE_SERVER']);
    const hidden = await upload('PATCH', `/servers/${serverId}/icon`, outsider, await png());
    expect([hidden.status, hidden.body.code]).toEqual([404, 'unknown_server']);

    const set = await upload('PATCH', `/servers/${serverId}/icon`, owner, await png(800, 600));
    expect(set.status).toBe(200);
    const url = set.body.icon_url as string;
    expect(url).toMatch(new RegExp(`^${app.origin}/api/v1/media/icons/${serverId}/\\d+\\.webp$`));
    const meta = await sharp((await media(url)).data).metadata();
    expect([meta.format, meta.width, meta.height]).toEqual(['webp', 512, 512]);
    const frames = await watching.waitForFrames(1, (f) => f.t === 'SERVER_UPDATE');
    expect((frames[0] as DispatchFrame<'SERVER_UPDATE'>).d).toMatchObject({ id: serverId, icon_url: url });
    const got = await api(app, 'GET', `/servers/${serverId}`, { token: member.token });
    expect(got.body.icon_url).toBe(url);

    const log = await api(app, 'GET', `/servers/${serverId}/audit-logs?action=server_update`, {
      token: owner.token,
    });
    expect(log.body[0]).toMatchObject({ action: 'server_update', target_id: serverId });
    expect(log.body[0].changes).toEqual([
      { key: 'icon_url', old: null, new: url },
      {
        key: 'icon_upload',
        new: { size: expect.any(Number), content_type: 'image/png', width: 800, height: 600, frames: 1 },
      },
    ]);

    const cleared = await api(app, 'DELETE', `/servers/${serverId}/icon`, { token: owner.token });
    expect([cleared.status, cleared.body.icon_url]).toEqual([200, null]);
    await deleted(url);
    await watching.waitForFrames(2, (f) => f.t === 'SERVER_UPDATE');
  });
});

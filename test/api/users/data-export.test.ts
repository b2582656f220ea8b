import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Job } from 'bullmq';
import { useTestApp } from '../../helpers/app.js';
import { api, registerUser, type TestUser } from '../../helpers/accounts.js';
import { sendForm } from '../../helpers/media.js';

let tmp: string;
const app = useTestApp({ gateway: false });
beforeAll(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'plexichat-export-'));
});
afterAll(() => {
  fs.rmSync(tmp, { recursive: true, force: true });
});

/** Polls GET /users/@me/export until the export leaves `pending` (the worker runs in this process). */
async function settled(u: TestUser): Promise<Record<string, unknown>> {
  for (let i = 0; i < 200; i++) {
    const res = await api(app, 'GET', '/users/@me/export', { token: u.token });
    expect(res.status).toBe(200);
    if (res.body.status !== 'pending') return res.body as Record<string, unknown>;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error('the export never finished');
}

/** Downloads `url` with `token`; returns the status and, on 200, the archive saved to a file. */
async function download(
  url: string,
  token?: string,
): Promise<{ status: number; type: string | null; file: string }> {
  const res = await fetch(url.startsWith('http') ? url : `${app.origin}${url}`, {
    headers: token ? { authorization: `Bearer ${token}` } : {},
  });
  const file = path.join(tmp, `${Date.now()}-${Math.random()}.zip`);
  fs.writeFileSync(file, Buffer.from(await res.arrayBuffer()));
  return { status: res.status, type: res.headers.get('content-type'), file };
}

const entry = (zip: string, name: string) => execFileSync('unzip', ['-p', zip, name], { encoding: 'utf8' });

describe('data export', () => {
  it('builds a zip of the caller’s data in the background, downloadable by them only', async () => {
    const me = await registerUser(app, { email: `export-${Date.now()}@example.test` });
    const friend = await registerUser(app);
    const server = await api(app, 'POST', '/servers', { token: me.token, body: { name: 'archive me' } });
    const channels = await api(app, 'GET', `/servers/${server.body.id}/channels`, { token: me.token });
    const channelId = channels.body[0].id as string;
    const first = await api(app, 'POST', `/channels/${channelId}/messages`, {
      token: me.token,
      body: { content: 'first words' },
    });
    const withFile = await sendForm(app, 'POST', `/channels/${channelId}/messages`, me, [
      { field: 'payload_json', value: JSON.stringify({ content: 'see attached' }) },
      { filename: 'notes.txt', type: 'text/plain', data: Buffer.from('hello') },
    ]);
    expect(withFile.status).toBe(200);
    await api(app, 'PUT', `/users/@me/relationships/${friend.id}`, {
      token: me.token,
      body: { status: 'friend' },
    });

    expect((await api(app, 'GET', '/users/@me/export', { token: me.token })).body).toEqual({
      status: 'none',
    });
    const requested = await api(app, 'POST', '/users/@me/export', { token: me.token });
    expect(requested.status).toBe(202);
    expect(requested.body).toMatchObject({ id: expect.any(String), status: 'pending' });
    // Asking again while it is pending (or recent) answers the same export.
    const again = await api(app, 'POST', '/users/@me/export', { token: me.token });
    expect([again.status, again.body.id]).toEqual([202, requested.body.id]);

    const ready = await settled(me);
    expect(ready).toMatchObject({ id: requested.body.id, status: 'ready', url: expect.any(String) });
    expect((await api(app, 'POST', '/users/@me/export', { token: me.token })).body.id).toBe(
      requested.body.id,
    );

    const archive = await download(ready.url as string, me.token);
    expect([archive.status, archive.type]).toEqual([200, 'application/zip']);
    const listing = execFileSync('unzip', ['-Z1', archive.file], { encoding: 'utf8' }).trim().split('\n');
    expect(listing.sort()).toEqual(
      [
        'README.txt',
        'messages.json',
        'profile.json',
        'relationships.json',
        'security_events.json',
        'servers.json',
        'sessions.json',
      ].sort(),
    );
    const messages = JSON.parse(entry(archive.file, 'messages.json')) as Record<string, unknown>[];
    expect(messages.map((m) => m.content)).toEqual(['first words', 'see attached']);
    expect(messages[0]).toMatchObject({
      id: first.body.id,
      channel_id: channelId,
      server_id: server.body.id,
    });
    expect(messages[1]?.attachments).toEqual([
      expect.objectContaining({ filename: 'notes.txt', url: withFile.body.attachments[0].url }),
    ]);
    expect(JSON.parse(entry(archive.file, 'profile.json'))).toMatchObject({
      id: me.id,
      email: expect.any(String),
    });
    expect(JSON.parse(entry(archive.file, 'servers.json'))).toEqual([
      expect.objectContaining({ server_id: server.body.id, name: 'archive me' }),
    ]);
    expect(JSON.parse(entry(archive.file, 'relationships.json'))).toEqual([
      expect.objectContaining({ user_id: friend.id, status: 'pending_outgoing' }),
    ]);
    expect(JSON.parse(entry(archive.file, 'sessions.json'))).toHaveLength(1);

    // Nobody else can fetch it: not another user, not without a token, not through /media.
    expect((await download(ready.url as string, friend.token)).status).toBe(404);
    expect((await download(ready.url as string)).status).toBe(401);
    const row = await app.rt.models.DataExport.findByPk(requested.body.id as string, { rejectOnEmpty: true });
    expect(row.storage_key).toMatch(/^exports\//);
    expect((await download(`/api/v1/media/${row.storage_key}`)).status).toBe(404);
  });

  it('removes the archive when it expires', async () => {
    const me = await registerUser(app);
    const requested = await api(app, 'POST', '/users/@me/export', { token: me.token });
    const ready = await settled(me);
    expect(ready.status).toBe('ready');
    const row = await app.rt.models.DataExport.findByPk(requested.body.id as string, { rejectOnEmpty: true });
    const key = row.storage_key as string;
    expect(await app.rt.storage.head(key)).not.toBeNull();
    // The expiry step waits export_ttl_hours; run it now.
    const expiry = await Job.fromId(app.rt.queues.exports, `export-expire-${row.id}`);
    expect(expiry).toBeDefined();
    await expiry?.promote();
    for (let i = 0; i < 200 && (await app.rt.storage.head(key)) !== null; i++) {
      await new Promise((r) => setTimeout(r, 50));
    }
    expect(await app.rt.storage.head(key)).toBeNull();
    await row.update({ expires_at: new Date(Date.now() - 1000) });
    const after = await api(app, 'GET', '/users/@me/export', { token: me.token });
    expect(after.body).toMatchObject({ id: row.id, status: 'expired' });
    expect(after.body.url).toBeUndefined();
    const download404 = await download(`/api/v1/users/@me/export/${row.id}/archive`, me.token);
    expect(download404.status).toBe(404);
    // An expired export does not hold back a new one.
    const next = await api(app, 'POST', '/users/@me/export', { token: me.token });
    expect(next.status).toBe(202);
    expect(next.body.id).not.toBe(row.id);
  });
});

import crypto from 'node:crypto';
import { Op } from 'sequelize';
import { api, registerUser, type TestUser } from '../../helpers/accounts.js';
import { useTestApp } from '../../helpers/app.js';
import { testConfig } from '../../helpers/config.js';
import { sendForm } from '../../helpers/media.js';
import { makeServer } from '../servers/helpers.js';

const MiB = 1024 * 1024;
const CAP = 2.5 * MiB;

const app = useTestApp({
  gateway: false,
  config: testConfig({
    media: { max_file_bytes: 2 * MiB, max_request_bytes: 2 * MiB, max_pending_bytes: CAP },
  }),
});

const file = (bytes: number) => ({
  filename: 'blob.bin',
  type: 'application/octet-stream',
  data: crypto.randomBytes(bytes),
});
const upload = (user: TestUser, bytes: number) => sendForm(app, 'POST', '/attachments', user, [file(bytes)]);

/** What the user holds in unsent uploads, as stored. */
async function pendingOf(user: TestUser) {
  const rows = await app.rt.models.Attachment.findAll({
    where: { uploader_id: user.id, message_id: { [Op.is]: null }, channel_id: { [Op.is]: null } },
  });
  return rows.reduce((sum, r) => sum + Number(r.size), 0);
}

describe('the pending upload cap (media.max_pending_bytes)', () => {
  it('refuses an upload that would pass it with 413 naming the limit, and keeps nothing of it', async () => {
    const u = await registerUser(app);
    expect((await upload(u, MiB)).status).toBe(201);
    expect((await upload(u, MiB)).status).toBe(201);
    const refused = await upload(u, MiB);
    expect(refused.status).toBe(413);
    expect(refused.body).toMatchObject({
      code: 'pending_uploads_limit',
      limit_bytes: CAP,
      pending_bytes: 2 * MiB,
      errors: { files: expect.any(String) },
    });
    expect(refused.body.message).toContain('media.max_pending_bytes');
    expect(await pendingOf(u)).toBe(2 * MiB);
    // What is still under the cap goes through.
    expect((await upload(u, MiB / 4)).status).toBe(201);
    // At the cap nothing more is read at all.
    expect((await upload(u, MiB / 4)).status).toBe(201);
    const full = await upload(u, 1024);
    expect([full.status, full.body.code]).toEqual([413, 'pending_uploads_limit']);
    // Another user is not held to this user's uploads.
    expect((await upload(await registerUser(app), MiB)).status).toBe(201);
  });

  it('sending the uploads in a message frees the allowance', async () => {
    const u = await registerUser(app);
    const { generalId } = await makeServer(app, u);
    const ids: string[] = [];
    for (let i = 0; i < 2; i++) ids.push((await upload(u, MiB)).body.id);
    expect((await upload(u, MiB)).status).toBe(413);
    const sent = await api(app, 'POST', `/channels/${generalId}/messages`, {
      token: u.token,
      body: { attachments: ids },
    });
    expect(sent.status).toBe(200);
    expect(await pendingOf(u)).toBe(0);
    expect((await upload(u, MiB)).status).toBe(201);
  });

  it('parallel uploads cannot pass the cap together', async () => {
    const u = await registerUser(app);
    const all = await Promise.all(Array.from({ length: 6 }, () => upload(u, MiB)));
    const ok = all.filter((r) => r.status === 201).length;
    expect(all.every((r) => r.status === 201 || r.body.code === 'pending_uploads_limit')).toBe(true);
    expect(ok).toBeLessThanOrEqual(2);
    expect(await pendingOf(u)).toBe(ok * MiB);
    expect(await pendingOf(u)).toBeLessThanOrEqual(CAP);
  });
});

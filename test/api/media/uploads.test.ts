import { invalidate } from '../../../shared/domain/invalidation.js';
import http from 'node:http';
import sharp from 'sharp';
import type { DispatchFrame } from '../../../shared/events/index.js';
import type { AttachmentObject, MessageObject } from '../../../shared/presenters/types.js';
import { Permission } from '../../../shared/permissions/index.js';
import { api, registerUser, type TestUser } from '../../helpers/accounts.js';
import { useTestApp } from '../../helpers/app.js';
import { testConfig } from '../../helpers/config.js';
import { connectGateway, type GatewayClient } from '../../helpers/gateway-client.js';
import { addMember, makeServer } from '../servers/helpers.js';
import { png, sendForm, type FormPart } from '../../helpers/media.js';
import { openRawConnection, requestHead } from '../../helpers/raw-http.js';

const MAX_FILE = 2 * 1024 * 1024;
const MAX_PIXELS = 4_000_000;

const clients: GatewayClient[] = [];
const app = useTestApp({
  config: testConfig({
    media: { max_file_bytes: MAX_FILE, max_request_bytes: 3 * MAX_FILE, max_image_pixels: MAX_PIXELS },
  }),
});
afterAll(() => {
  for (const c of clients) c.close();
});

type Part = FormPart;

const post = (path: string, user: TestUser, parts: Part[]) => sendForm(app, 'POST', path, user, parts);

const upload = (user: TestUser, ...files: Part[]) => post('/attachments', user, files);

/** GETs a media URL exactly as the API handed it out (absolute). */
async function fetchMedia(url: string): Promise<Buffer> {
  expect(url.startsWith(`${app.origin}/api/v1/media/`)).toBe(true);
  const res = await fetch(url);
  expect(res.status).toBe(200);
  return Buffer.from(await res.arrayBuffer());
}

async function attachment(id: string) {
  return app.rt.models.Attachment.findByPk(id, { rejectOnEmpty: true });
}

async function processed(id: string) {
  for (let i = 0; i < 200; i++) {
    const row = await attachment(id);
    if (row.status !== 'processing') return row;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error('media worker did not finish');
}

/** A PNG that is only a header claiming `width` x `height` (a decompression bomb's front). */
function pngHeader(width: number, height: number): Buffer {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr.set([8, 2, 0, 0, 0], 8);
  const type = Buffer.from('IHDR');
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(Buffer.concat([type, ihdr])), 0);
  const length = Buffer.alloc(4);
  length.writeUInt32BE(13, 0);
  return Buffer.concat([
    Buffer.from([137, 80, 78, 71, 13, 10, 26, 10]),
    length,
    type,
    ihdr,
    crc,
    Buffer.alloc(64),
  ]);
}

function crc32(data: Buffer): number {
  let c = ~0;
  for (const byte of data) {
    c ^= byte;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ 0xedb88320 : c >>> 1;
  }
  return ~c >>> 0;
}

describe('POST /attachments', () => {
  it('stores a PNG with its dimensions at once, then the media worker adds a thumbnail and a color', async () => {
    const user = await registerUser(app);
    const res = await upload(user, { filename: 'red.png', type: 'image/png', data: await png() });
    expect(res.status).toBe(201);
    const file = res.body as AttachmentObject;
    // API.md's attachment object: width and height come with the answer (read from the header).
    expect(file).toMatchObject({
      filename: 'red.png',
      content_type: 'image/png',
      url: expect.stringMatching(new RegExp(`^${app.origin}/api/v1/media/attachments/`)),
      width: 64,
      height: 48,
    });
    expect(await fetchMedia(file.url)).toEqual(await fetchMedia(file.url));
    const row = await processed(file.id);
    expect([row.status, row.width, row.height]).toEqual(['ready', 64, 48]);
    expect(row.metadata.color).toMatch(/^#[0-9a-f]{6}$/);
    const thumb = await fetchMedia(`${app.origin}/api/v1/media/${row.metadata.thumbnail_key}`);
    expect((await sharp(thumb).metadata()).format).toBe('webp');
  });

  it('one file answers its attachment object (API.md); several an array, in the order sent', async () => {
    const user = await registerUser(app);
    const one = await upload(user, { filename: 'a.txt', type: 'text/plain', data: Buffer.from('alpha') });
    expect([one.status, Array.isArray(one.body)]).toEqual([201, false]);
    expect(one.body).toMatchObject({
      id: expect.stringMatching(/^\d+$/),
      filename: 'a.txt',
      content_type: 'text/plain',
      size: 5,
      url: expect.any(String),
    });
    const two = await upload(
      user,
      { filename: 'b.txt', type: 'text/plain', data: Buffer.from('bravo') },
      { filename: 'c.txt', type: 'text/plain', data: Buffer.from('charlie!') },
    );
    expect(two.status).toBe(201);
    expect((two.body as AttachmentObject[]).map((a) => [a.filename, a.size])).toEqual([
      ['b.txt', 5],
      ['c.txt', 8],
    ]);
  });

  it('keeps a non-ASCII filename, sent as its UTF-8 bytes (as browsers and fetch send it)', async () => {
    const user = await registerUser(app);
    const name = 'café 漢字 😀.txt';
    const res = await upload(user, { filename: name, type: 'text/plain', data: Buffer.from('hi') });
    expect([res.status, (res.body as AttachmentObject).filename]).toEqual([201, name]);
    const row = await app.rt.models.Attachment.findByPk((res.body as AttachmentObject).id);
    expect(row?.filename).toBe(name);
  });

  it('strips EXIF (GPS) from a JPEG and keeps it upright', async () => {
    const user = await registerUser(app);
    const jpeg = await sharp({ create: { width: 40, height: 20, channels: 3, background: '#00ff00' } })
      .jpeg()
      .withExif({ IFD0: { Make: 'Spyphone' }, IFD3: { GPSLatitudeRef: 'N', GPSLatitude: '48/1 51/1 24/1' } })
      .withMetadata({ orientation: 6 })
      .toBuffer();
    expect((await sharp(jpeg).metadata()).exif).toBeDefined();
    const res = await upload(user, { filename: 'holiday.jpg', type: 'image/jpeg', data: jpeg });
    // Shown upright from the first answer: the header's orientation swaps the dimensions.
    expect([res.body.width, res.body.height]).toEqual([20, 40]);
    const row = await processed(res.body.id as string);
    const stored = await fetchMedia(res.body.url as string);
    const meta = await sharp(stored).metadata();
    expect(meta.exif).toBeUndefined();
    expect(stored.includes(Buffer.from('Spyphone'))).toBe(false);
    // Orientation 6 (rotated 90°) was applied: 40x20 became 20x40.
    expect([meta.width, meta.height, row.width, row.height]).toEqual([20, 40, 20, 40]);
    expect(row.size).toBe(stored.length);
  });

  it('reads the duration and codec of audio', async () => {
    const user = await registerUser(app);
    const rate = 8000;
    const samples = Buffer.alloc(rate * 2 * 1.5); // 1.5 s of 16-bit mono silence
    const header = Buffer.alloc(44);
    header.write('RIFF', 0);
    header.writeUInt32LE(36 + samples.length, 4);
    header.write('WAVEfmt ', 8);
    header.writeUInt32LE(16, 16);
    header.writeUInt16LE(1, 20);
    header.writeUInt16LE(1, 22);
    header.writeUInt32LE(rate, 24);
    header.writeUInt32LE(rate * 2, 28);
    header.writeUInt16LE(2, 32);
    header.writeUInt16LE(16, 34);
    header.write('data', 36);
    header.writeUInt32LE(samples.length, 40);
    const res = await upload(user, {
      filename: 'beep.wav',
      type: 'audio/wav',
      data: Buffer.concat([header, samples]),
    });
    expect(res.body.content_type).toMatch(/^audio\//);
    const row = await processed(res.body.id as string);
    expect([row.status, row.duration_seconds]).toEqual(['ready', 1.5]);
    expect(row.metadata.codec).toMatch(/PCM/i);
  });

  it('trusts the bytes, not the name or declared type; text stays text; executables are refused', async () => {
    const user = await registerUser(app);
    const spoofed = await upload(user, { filename: 'notes.txt', type: 'text/plain', data: await png() });
    expect(spoofed.body).toMatchObject({ filename: 'notes.png', content_type: 'image/png' });
    const text = await upload(user, {
      filename: '../../etc/pass<wd>.txt',
      type: 'text/plain',
      data: Buffer.from('hello'),
    });
    expect([text.status, text.body]).toEqual([
      201,
      expect.objectContaining({ filename: 'passwd.txt', content_type: 'text/plain' }),
    ]);
    const html = await upload(user, {
      filename: 'x.html',
      type: 'text/html',
      data: Buffer.from('<script>alert(1)</script>'),
    });
    expect(html.body.content_type).toBe('text/plain');
    const elf = Buffer.concat([Buffer.from([0x7f, 0x45, 0x4c, 0x46, 2, 1, 1, 0]), Buffer.alloc(120)]);
    const exe = await upload(user, { filename: 'cute.png', type: 'image/png', data: elf });
    expect([exe.status, exe.body.code]).toEqual([415, 'unsupported_media_type']);
  });

  it('refuses an image over the pixel limit before storing it (413 image_too_large)', async () => {
    const user = await registerUser(app);
    const before = await app.rt.models.Attachment.count({ where: { uploader_id: user.id } });
    const res = await upload(user, {
      filename: 'bomb.png',
      type: 'image/png',
      data: pngHeader(50_000, 50_000),
    });
    expect([res.status, res.body.code]).toEqual([413, 'image_too_large']);
    expect(await app.rt.models.Attachment.count({ where: { uploader_id: user.id } })).toBe(before);
  });

  it('413 for a file over the limit, and nothing is kept (not even the files before it)', async () => {
    const user = await registerUser(app);
    const res = await upload(
      user,
      { filename: 'ok.png', type: 'image/png', data: await png() },
      { filename: 'big.bin', type: 'application/octet-stream', data: Buffer.alloc(MAX_FILE + 1000, 7) },
    );
    expect([res.status, res.body.code]).toEqual([413, 'payload_too_large']);
    expect(await app.rt.models.Attachment.count({ where: { uploader_id: user.id } })).toBe(0);
  });

  it('413 at once when Content-Length says the request is over the limit', async () => {
    const user = await registerUser(app);
    // Announce far more than is sent: the answer must come without waiting for the rest.
    const status = await new Promise<number>((resolve, reject) => {
      const req = http.request(`${app.api}/attachments`, {
        method: 'POST',
        headers: {
          authorization: `Bearer ${user.token}`,
          'content-type': 'multipart/form-data; boundary=xyz',
          'content-length': String(10 * MAX_FILE),
        },
      });
      req.on('response', (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
        req.destroy();
      });
      req.on('error', reject);
      req.write(Buffer.alloc(100));
    });
    expect(status).toBe(413);
  });

  it('a small refused form is read to its end: the client still writing gets the answer on a live connection', async () => {
    const user = await registerUser(app);
    const part = (i: number) => `--xyz\r\nContent-Disposition: form-data; name="f${i}"\r\n\r\nx\r\n`;
    // 25 text fields (over the 20 allowed) arrive first; the last part and the end come later.
    const head = Array.from({ length: 25 }, (_, i) => part(i)).join('');
    const tail = `${part(25)}--xyz--\r\n`;
    const connection = openRawConnection(app.api);
    const request = (body: string, more: number) =>
      requestHead('POST', `${app.api}/attachments`, {
        Authorization: `Bearer ${user.token}`,
        'Content-Type': 'multipart/form-data; boundary=xyz',
        'Content-Length': Buffer.byteLength(body) + more,
      }) + body;
    connection.write(request(head, Buffer.byteLength(tail)));
    await new Promise((resolve) => setTimeout(resolve, 300));
    // Closing under a client still writing would make this write fail (EPIPE) instead of answering.
    expect(connection.closed).toBe(false);
    connection.write(tail);
    await connection.waitFor(/too_many_parameters/, 'the 413');
    expect(connection.received).toMatch(/^HTTP\/1\.1 413 /);
    expect(connection.received.toLowerCase()).not.toContain('connection: close');
    expect(connection.writeFailed).toBe(false);
    // The connection still serves: a second request on it is answered.
    connection.clear();
    connection.write(request(`${part(0)}--xyz--\r\n`, 0));
    await connection.waitFor(/^HTTP\/1\.1 400 /, 'a second answer on the same connection');
    connection.destroy();
  });

  it('415 for a request that is not multipart (naming body), 400 naming files for a form without a file', async () => {
    const user = await registerUser(app);
    const json = await api(app, 'POST', '/attachments', { token: user.token, body: {} });
    expect([json.status, json.body.code, Object.keys(json.body.errors)]).toEqual([
      415,
      'unsupported_media_type',
      ['body'],
    ]);
    const bare = await api(app, 'POST', '/attachments', { token: user.token });
    expect(bare.status).toBe(415);
    const empty = await post('/attachments', user, [{ field: 'note', value: 'no files' }]);
    expect([empty.status, empty.body.errors]).toEqual([400, { files: expect.any(String) }]);
  });
});

describe('messages with attachments', () => {
  async function channel() {
    const owner = await registerUser(app);
    const { serverId, generalId } = await makeServer(app, owner);
    return { owner, serverId, channelId: generalId };
  }

  it('uploaded ids go into a message; metadata that arrives later comes as MESSAGE_UPDATE', async () => {
    const { owner, channelId } = await channel();
    const watching = await connectGateway(app.origin, { token: owner.token });
    clients.push(watching);
    const up = await upload(owner, { filename: 'a.png', type: 'image/png', data: await png(30, 10) });
    const id = up.body.id as string;
    const sent = await api(app, 'POST', `/channels/${channelId}/messages`, {
      token: owner.token,
      body: { attachments: [id] },
    });
    expect(sent.status).toBe(200);
    expect(sent.body.content).toBe('');
    expect((sent.body.attachments as AttachmentObject[]).map((a) => [a.id, a.width, a.height])).toEqual([
      [id, 30, 10],
    ]);
    const row = await processed(id);
    expect(row.message_id).toBe(sent.body.id);
    // Either the message was stored after the metadata (it is in MESSAGE_CREATE), or an update follows.
    const frames = await watching.waitForFrames(1, (f) => {
      const m = f.d as MessageObject;
      return (
        (f.t === 'MESSAGE_CREATE' || f.t === 'MESSAGE_UPDATE') &&
        m.id === sent.body.id &&
        m.attachments[0]?.thumbnail_url !== undefined
      );
    });
    const dispatched = (frames[0] as DispatchFrame<'MESSAGE_UPDATE'>).d.attachments[0]!;
    expect(dispatched).toMatchObject({ width: 30, height: 10, thumbnail_url: expect.any(String) });
    // The dispatch's URLs are absolute and fetchable as given, as are the history page's (built by
    // Postgres from the stored row, which keeps bare paths).
    expect(await fetchMedia(dispatched.url)).toEqual(
      await fetchMedia(sent.body.attachments[0].url as string),
    );
    expect((await sharp(await fetchMedia(dispatched.thumbnail_url!)).metadata()).format).toBe('webp');
    const history = await api(app, 'GET', `/channels/${channelId}/messages?limit=1`, { token: owner.token });
    expect(history.body[0].attachments[0]).toMatchObject({
      url: dispatched.url,
      thumbnail_url: dispatched.thumbnail_url,
    });
    const stored = await app.rt.models.Message.findByPk(sent.body.id as string, { rejectOnEmpty: true });
    expect(stored.attachments[0]?.url).toBe(new URL(dispatched.url).pathname);
    const again = await api(app, 'POST', `/channels/${channelId}/messages`, {
      token: owner.token,
      body: { attachments: [id] },
    });
    expect([again.status, again.body.errors]).toEqual([400, { attachments: expect.stringContaining(id) }]);
  });

  it('a send takes the attachment objects POST /attachments answered, as well as their ids', async () => {
    const { owner, channelId } = await channel();
    const first = await upload(owner, { filename: 'a.png', type: 'image/png', data: await png(8, 8) });
    const second = await upload(owner, { filename: 'b.png', type: 'image/png', data: await png(9, 9) });
    const sent = await api(app, 'POST', `/channels/${channelId}/messages`, {
      token: owner.token,
      body: { content: 'objects', attachments: [first.body, { id: second.body.id }] },
    });
    expect(sent.status).toBe(200);
    expect((sent.body.attachments as AttachmentObject[]).map((a) => a.id)).toEqual([
      first.body.id,
      second.body.id,
    ]);
    const bad = await api(app, 'POST', `/channels/${channelId}/messages`, {
      token: owner.token,
      body: { content: 'no id', attachments: [{ filename: 'a.png' }] },
    });
    expect(bad.status).toBe(400);
    expect(Object.keys(bad.body.errors)[0]).toMatch(/^attachments/);
  });

  it('multipart send: payload_json plus files; needs ATTACH_FILES; others’ uploads are refused', async () => {
    const { owner, serverId, channelId } = await channel();
    const res = await post(`/channels/${channelId}/messages`, owner, [
      { field: 'payload_json', value: JSON.stringify({ content: 'look', nonce: 'mp-1' }) },
      { filename: 'one.png', type: 'image/png', data: await png() },
      { filename: 'two.txt', type: 'text/plain', data: Buffer.from('two') },
    ]);
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ content: 'look', nonce: 'mp-1' });
    expect((res.body.attachments as AttachmentObject[]).map((a) => a.filename)).toEqual([
      'one.png',
      'two.txt',
    ]);
    // Each file posted in a server is in its audit log: who, what, how big.
    const audit = await api(app, 'GET', `/servers/${serverId}/audit-logs?action=attachment_upload`, {
      token: owner.token,
    });
    expect(audit.status).toBe(200);
    const entries = audit.body as { user_id: string; changes: { key: string; new: unknown }[] }[];
    expect(entries.map((e) => e.user_id)).toEqual([owner.id, owner.id]);
    const logged = entries.flatMap((e) => e.changes.filter((c) => c.key === 'filename').map((c) => c.new));
    expect(logged.sort()).toEqual(['one.png', 'two.txt']);

    const member = await registerUser(app);
    await addMember(app, serverId, member.id);
    const theirs = await upload(owner, { filename: 'x.png', type: 'image/png', data: await png() });
    const stolen = await api(app, 'POST', `/channels/${channelId}/messages`, {
      token: member.token,
      body: { content: 'mine now', attachments: [theirs.body.id] },
    });
    expect([stolen.status, Object.keys(stolen.body.errors)]).toEqual([400, ['attachments']]);

    await app.rt.models.Role.update(
      {
        permissions: String(
          BigInt((await app.rt.models.Role.findByPk(serverId, { rejectOnEmpty: true })).permissions) &
            ~Permission.ATTACH_FILES,
        ),
      },
      { where: { id: serverId } },
    );
    await invalidate(app.rt, { servers: [serverId] });
    const own = await upload(member, { filename: 'y.png', type: 'image/png', data: await png() });
    const denied = await api(app, 'POST', `/channels/${channelId}/messages`, {
      token: member.token,
      body: { attachments: [own.body.id] },
    });
    expect([denied.status, denied.body.code]).toEqual([403, 'missing_permission']);
    const deniedMultipart = await post(`/channels/${channelId}/messages`, member, [
      { field: 'content', value: 'hi' },
      { filename: 'z.png', type: 'image/png', data: await png() },
    ]);
    expect(deniedMultipart.status).toBe(403);
  });

  it('without attachments the content is still required', async () => {
    const { owner, channelId } = await channel();
    const res = await api(app, 'POST', `/channels/${channelId}/messages`, {
      token: owner.token,
      body: { attachments: [] },
    });
    expect([res.status, Object.keys(res.body.errors)]).toEqual([400, ['content']]);
  });
});

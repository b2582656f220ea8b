import sharp from 'sharp';
import type { TestApp } from './app.js';
import { api, type ApiResponse, type TestUser } from './accounts.js';
import { until } from './services.js';

/** One part of a multipart form: a file (sent under `name`, default `files`) or a text field. */
export type FormPart =
  { name?: string; filename: string; type: string; data: Buffer } | { field: string; value: string };

/** Sends a multipart/form-data request as `user`; returns status, headers and the parsed body. */
export async function sendForm(
  app: TestApp,
  method: string,
  path: string,
  user: TestUser,
  parts: FormPart[],
): Promise<ApiResponse> {
  const form = new FormData();
  for (const p of parts) {
    if ('field' in p) form.append(p.field, p.value);
    else form.append(p.name ?? 'files', new Blob([new Uint8Array(p.data)], { type: p.type }), p.filename);
  }
  const res = await fetch(`${app.api}${path}`, { method, headers: user.headers, body: form });
  const text = await res.text();
  return { status: res.status, headers: res.headers, body: text ? JSON.parse(text) : null };
}

/** One part of a hand-built multipart body: its bytes exactly as sent, a file when it has a filename. */
export interface RawPart {
  name: string;
  data: Buffer;
  filename?: string;
  /** The part's Content-Type header, when it has one. */
  type?: string;
}

/**
 * Sends a multipart/form-data body built byte by byte, as `user` (or with no token): FormData
 * encodes text as UTF-8, so only this can send a text field whose bytes are not.
 */
export async function sendRawForm(
  app: TestApp,
  method: string,
  path: string,
  user: TestUser | null,
  parts: RawPart[],
): Promise<ApiResponse> {
  const boundary = `----plexichat-test-${Date.now()}`;
  const chunks: Buffer[] = [];
  for (const p of parts) {
    const file = p.filename === undefined ? '' : `; filename="${p.filename}"`;
    const type = p.type === undefined ? '' : `Content-Type: ${p.type}\r\n`;
    chunks.push(
      Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="${p.name}"${file}\r\n${type}\r\n`),
      p.data,
      Buffer.from('\r\n'),
    );
  }
  chunks.push(Buffer.from(`--${boundary}--\r\n`));
  const res = await fetch(`${app.api}${path}`, {
    method,
    headers: { ...user?.headers, 'content-type': `multipart/form-data; boundary=${boundary}` },
    body: Buffer.concat(chunks),
  });
  const text = await res.text();
  return { status: res.status, headers: res.headers, body: text ? JSON.parse(text) : null };
}

/** A solid-color PNG. */
export function png(width = 64, height = 48, background = { r: 200, g: 30, b: 30 }): Promise<Buffer> {
  return sharp({ create: { width, height, channels: 3, background } })
    .png()
    .toBuffer();
}

/** An animated GIF of `frames` differently colored frames. */
export async function animatedGif(width = 40, height = 30, frames = 3): Promise<Buffer> {
  const pngs = await Promise.all(
    Array.from({ length: frames }, (_, i) =>
      sharp({ create: { width, height, channels: 4, background: { r: i * 80, g: 90, b: 0, alpha: 1 } } })
        .png()
        .toBuffer(),
    ),
  );
  return sharp(pngs, { join: { animated: true } })
    .gif()
    .toBuffer();
}

/** The HTTP status the media route answers for a storage key, or for a media URL (or path). */
export async function mediaStatus(app: TestApp, keyOrUrl: string): Promise<number> {
  const url = /^(https?:|\/)/.test(keyOrUrl)
    ? new URL(keyOrUrl, app.origin).href
    : `${app.origin}/api/v1/media/${keyOrUrl}`;
  const res = await fetch(url);
  await res.arrayBuffer();
  return res.status;
}

/**
 * Sends a message with an uploaded image into `channelId` as `user`; once the media worker has
 * made its thumbnail, returns the storage keys of the file and the thumbnail.
 */
export async function postImage(app: TestApp, user: TestUser, channelId: string): Promise<string[]> {
  const uploaded = await sendForm(app, 'POST', '/attachments', user, [
    { filename: 'p.png', type: 'image/png', data: await png(64, 64) },
  ]);
  if (uploaded.status !== 201) throw new Error(`upload: ${uploaded.status}`);
  const attachmentId = (uploaded.body as { id: string }).id;
  const sent = await api(app, 'POST', `/channels/${channelId}/messages`, {
    token: user.token,
    body: { content: 'with a file', attachments: [attachmentId] },
  });
  if (sent.status !== 200) throw new Error(`send: ${sent.status} ${JSON.stringify(sent.body)}`);
  await until(async () => {
    const row = await app.rt.models.Attachment.findByPk(attachmentId);
    return row?.status === 'ready';
  }, 'the upload to be inspected');
  const row = (await app.rt.models.Attachment.findByPk(attachmentId))!;
  return [row.storage_key, row.metadata.thumbnail_key as string];
}

import sharp from 'sharp';
import type { TestApp } from './app.js';
import type { ApiResponse, TestUser } from './accounts.js';

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

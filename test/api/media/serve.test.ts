import http from 'node:http';
import { type TestApp, useTestApp } from '../../helpers/app.js';
import { testConfig } from '../../helpers/config.js';
import { startS3rver, type TestS3 } from '../../helpers/s3rver.js';

const IMMUTABLE = 'public, max-age=31536000, immutable';
const SANDBOX = "default-src 'none'; sandbox";

/** 1000 bytes whose value at i is i & 0xff, so any range is easy to check. */
const BYTES = Buffer.from(Array.from({ length: 1000 }, (_, i) => i & 0xff));

/** A request sent as written (fetch would normalise `..` and `%2e` away before sending). */
function rawGet(app: TestApp, path: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port: app.port, path, method: 'GET' }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('GET /media/{key...} (local storage)', () => {
  const media = (key: string): string => `${app.api}/media/${key}`;

  const app = useTestApp({ workers: false, gateway: false });
  beforeAll(async () => {
    const { storage } = app.rt;
    await storage.put('attachments/111/photo.png', BYTES, 'image/png');
    await storage.put('attachments/222/report.pdf', Buffer.from('%PDF-1.7 not really'), 'application/pdf');
    await storage.put(
      'attachments/333/drawing.svg',
      Buffer.from('<svg onload="alert(1)"/>'),
      'image/svg+xml',
    );
    await storage.put('attachments/444/page.html', Buffer.from('<script>alert(1)</script>'), 'text/html');
    await storage.put('attachments/555/clip.webm', Buffer.from('webm'), 'video/webm');
    await storage.put('attachments/666/weird.bin', Buffer.from('x'), 'not a type\r\nX-Evil: 1');
  });

  it('serves an image inline with its type, size, validators and caching headers', async () => {
    const res = await fetch(media('attachments/111/photo.png'));
    expect(res.status).toBe(200);
    expect(Object.fromEntries(res.headers)).toMatchObject({
      'content-type': 'image/png',
      'content-length': '1000',
      'content-disposition': `inline; filename="photo.png"; filename*=UTF-8''photo.png`,
      'x-content-type-options': 'nosniff',
      'content-security-policy': SANDBOX,
      'cross-origin-resource-policy': 'cross-origin',
      'accept-ranges': 'bytes',
      'cache-control': IMMUTABLE,
    });
    expect(res.headers.get('etag')).toMatch(/^"[^"]+"$/);
    expect(Date.parse(res.headers.get('last-modified') ?? '')).not.toBeNaN();
    expect(Buffer.from(await res.arrayBuffer()).equals(BYTES)).toBe(true);

    const video = await fetch(media('attachments/555/clip.webm'));
    expect(video.headers.get('content-type')).toBe('video/webm');
    expect(video.headers.get('content-disposition')).toMatch(/^inline;/);
  });

  it('sends anything that is not image, video or audio as an attachment, SVG included', async () => {
    const pdf = await fetch(media('attachments/222/report.pdf'));
    expect(pdf.status).toBe(200);
    expect(pdf.headers.get('content-type')).toBe('application/pdf');
    expect(pdf.headers.get('content-disposition')).toBe(
      `attachment; filename="report.pdf"; filename*=UTF-8''report.pdf`,
    );

    const svg = await fetch(media('attachments/333/drawing.svg'));
    expect(svg.headers.get('content-type')).toBe('image/svg+xml');
    expect(svg.headers.get('content-disposition')).toMatch(/^attachment; /);
    expect(svg.headers.get('content-security-policy')).toBe(SANDBOX);
    expect(svg.headers.get('x-content-type-options')).toBe('nosniff');

    const html = await fetch(media('attachments/444/page.html'));
    expect(html.headers.get('content-type')).toBe('text/html');
    expect(html.headers.get('content-disposition')).toMatch(/^attachment; /);
    expect(html.headers.get('content-security-policy')).toBe(SANDBOX);
  });

  it('never echoes a malformed stored type: octet-stream instead', async () => {
    const res = await fetch(media('attachments/666/weird.bin'));
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/octet-stream');
    expect(res.headers.get('x-evil')).toBeNull();
    expect(res.headers.get('content-disposition')).toMatch(/^attachment; /);
  });

  it('serves single byte ranges with 206 and Content-Range', async () => {
    const cases: [string, number, number][] = [
      ['bytes=0-99', 0, 99],
      ['bytes=0-0', 0, 0],
      ['bytes=900-', 900, 999],
      ['bytes=-100', 900, 999],
      ['bytes=-5000', 0, 999],
      ['bytes=995-2000', 995, 999],
    ];
    for (const [range, start, end] of cases) {
      const res = await fetch(media('attachments/111/photo.png'), { headers: { Range: range } });
      expect({ range, status: res.status }).toEqual({ range, status: 206 });
      expect(res.headers.get('content-range')).toBe(`bytes ${start}-${end}/1000`);
      expect(res.headers.get('content-length')).toBe(String(end - start + 1));
      expect(res.headers.get('content-type')).toBe('image/png');
      expect(res.headers.get('cache-control')).toBe(IMMUTABLE);
      expect(Buffer.from(await res.arrayBuffer()).equals(BYTES.subarray(start, end + 1))).toBe(true);
    }
  });

  it('answers 416 for a range past the end, naming the size', async () => {
    for (const range of ['bytes=1000-', 'bytes=5000-6000', 'bytes=-0']) {
      const res = await fetch(media('attachments/111/photo.png'), { headers: { Range: range } });
      expect({ range, status: res.status }).toEqual({ range, status: 416 });
      expect(res.headers.get('content-range')).toBe('bytes */1000');
      expect(res.headers.get('cache-control')).not.toBe(IMMUTABLE);
      expect(await res.json()).toMatchObject({ code: 'range_not_satisfiable', size: 1000 });
    }
  });

  it('serves the whole file for several ranges, other units and malformed headers', async () => {
    for (const range of ['bytes=0-1,5-6', 'items=0-1', 'bytes=abc', 'bytes=10-5', 'bytes=-']) {
      const res = await fetch(media('attachments/111/photo.png'), { headers: { Range: range } });
      expect({ range, status: res.status }).toEqual({ range, status: 200 });
      expect(res.headers.get('content-range')).toBeNull();
      expect((await res.arrayBuffer()).byteLength).toBe(1000);
    }
  });

  it('honours If-Range, If-None-Match and If-Modified-Since', async () => {
    const first = await fetch(media('attachments/111/photo.png'));
    const etag = first.headers.get('etag') ?? '';
    const lastModified = first.headers.get('last-modified') ?? '';
    await first.arrayBuffer();

    const sameRange = await fetch(media('attachments/111/photo.png'), {
      headers: { Range: 'bytes=0-9', 'If-Range': etag },
    });
    expect(sameRange.status).toBe(206);
    await sameRange.arrayBuffer();
    const staleRange = await fetch(media('attachments/111/photo.png'), {
      headers: { Range: 'bytes=0-9', 'If-Range': '"something-else"' },
    });
    expect(staleRange.status).toBe(200);
    expect((await staleRange.arrayBuffer()).byteLength).toBe(1000);

    const notModified = await fetch(media('attachments/111/photo.png'), {
      headers: { 'If-None-Match': etag },
    });
    expect(notModified.status).toBe(304);
    expect(notModified.headers.get('etag')).toBe(etag);
    expect(notModified.headers.get('cache-control')).toBe(IMMUTABLE);
    const since = await fetch(media('attachments/111/photo.png'), {
      headers: { 'If-Modified-Since': lastModified },
    });
    expect(since.status).toBe(304);
    const changed = await fetch(media('attachments/111/photo.png'), {
      headers: { 'If-None-Match': '"other"' },
    });
    expect(changed.status).toBe(200);
    await changed.arrayBuffer();
  });

  it('answers HEAD with the headers of GET and no body', async () => {
    const res = await fetch(media('attachments/222/report.pdf'), { method: 'HEAD' });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/pdf');
    expect(res.headers.get('content-length')).toBe('19');
    expect(res.headers.get('content-disposition')).toMatch(/^attachment; /);
    expect(res.headers.get('accept-ranges')).toBe('bytes');
    expect(res.headers.get('cache-control')).toBe(IMMUTABLE);
    expect(await res.text()).toBe('');

    const ranged = await fetch(media('attachments/111/photo.png'), {
      method: 'HEAD',
      headers: { Range: 'bytes=-10' },
    });
    expect(ranged.status).toBe(206);
    expect(ranged.headers.get('content-range')).toBe('bytes 990-999/1000');
    expect(ranged.headers.get('content-length')).toBe('10');

    const missing = await fetch(media('attachments/0/none.png'), { method: 'HEAD' });
    expect(missing.status).toBe(404);
  });

  it('answers 404 JSON for unknown and malformed keys, without long-lived caching', async () => {
    const res = await fetch(media('attachments/999/missing.png'));
    expect(res.status).toBe(404);
    expect(res.headers.get('content-type')).toMatch(/^application\/json/);
    expect(res.headers.get('cache-control')).not.toBe(IMMUTABLE);
    expect(await res.json()).toMatchObject({ code: 'unknown_media' });

    // A directory of keys is not a key.
    expect((await fetch(media('attachments/111'))).status).toBe(404);

    for (const path of [
      '/api/v1/media/../../../etc/passwd',
      '/api/v1/media/attachments/%2e%2e/%2e%2e/%2e%2e/etc/passwd',
      '/api/v1/media/attachments%2F..%2F..%2Fconfig.yaml',
      '/api/v1/media/.meta/attachments/111/photo.png.json',
      '/api/v1/media/.tmp/anything',
      '/api/v1/media/attachments//111/photo.png',
    ]) {
      const raw = await rawGet(app, path);
      // `..` walked out of /api/v1/media entirely is an unknown route; anything inside is unknown media.
      expect({ path, status: raw.status }).toEqual({ path, status: 404 });
      expect(raw.body).not.toContain('PDF');
      expect(JSON.parse(raw.body)).toMatchObject({
        code: expect.stringMatching(/^unknown_(media|route)$/) as string,
      });
    }
  });

  it('survives a client that hangs up mid-download', async () => {
    await app.rt.storage.put(
      'attachments/999/big.bin',
      Buffer.alloc(8 * 1024 * 1024, 7),
      'application/octet-stream',
    );
    const controller = new AbortController();
    const res = await fetch(media('attachments/999/big.bin'), { signal: controller.signal });
    const reader = res.body!.getReader();
    await reader.read();
    controller.abort();
    await expect(reader.read()).rejects.toThrow();
    const again = await fetch(media('attachments/111/photo.png'), { headers: { Range: 'bytes=0-9' } });
    expect(again.status).toBe(206);
    expect((await again.arrayBuffer()).byteLength).toBe(10);
  });

  it('needs no token, and is in the OpenAPI document as /media/{key}', async () => {
    const res = await fetch(`${app.api}/openapi.json`);
    const doc = (await res.json()) as {
      paths: Record<string, { get?: { security?: unknown; parameters?: { name: string }[] } }>;
    };
    const operation = doc.paths['/media/{key}']?.get;
    expect(operation).toBeDefined();
    expect(operation?.security).toEqual([]);
    expect(operation?.parameters?.map((p) => p.name)).toEqual(['key']);
  });

  it('reports the local storage driver in /health', async () => {
    const res = await fetch(`${app.api}/health`);
    const body = (await res.json()) as {
      checks: { storage: string };
      details: { storage: { status: string; details?: { driver?: string } } };
    };
    expect(body.checks.storage).toBe('ok');
    expect(body.details.storage).toMatchObject({ status: 'ok', details: { driver: 'local' } });
  });
});

describe('GET /media/{key...} on S3 (s3rver)', () => {
  let s3: TestS3;

  beforeAll(async () => {
    s3 = await startS3rver();
  });
  const streaming = useTestApp(() => ({
    workers: false,
    gateway: false,
    config: testConfig({ storage: s3.storageConfig() }),
  }));
  const redirecting = useTestApp(() => ({
    workers: false,
    gateway: false,
    config: testConfig({ storage: s3.storageConfig({ redirect: true, presign_ttl_seconds: 120 }) }),
  }));
  beforeAll(async () => {
    await streaming.rt.storage.put('attachments/777/photo.png', BYTES, 'image/png');
    await streaming.rt.storage.put('attachments/888/notes.html', Buffer.from('<b>hi</b>'), 'text/html');
  });
  afterAll(async () => {
    await s3.close();
  });

  it('streams from the bucket through the API, ranges included', async () => {
    const res = await fetch(`${streaming.api}/media/attachments/777/photo.png`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('image/png');
    expect(res.headers.get('content-length')).toBe('1000');
    expect(Buffer.from(await res.arrayBuffer()).equals(BYTES)).toBe(true);

    const ranged = await fetch(`${streaming.api}/media/attachments/777/photo.png`, {
      headers: { Range: 'bytes=-100' },
    });
    expect(ranged.status).toBe(206);
    expect(ranged.headers.get('content-range')).toBe('bytes 900-999/1000');
    expect(Buffer.from(await ranged.arrayBuffer()).equals(BYTES.subarray(900))).toBe(true);

    expect((await fetch(`${streaming.api}/media/attachments/777/nope.png`)).status).toBe(404);
    const health = (await (await fetch(`${streaming.api}/health`)).json()) as {
      checks: { storage: string };
      details: { storage: { status: string; details?: { driver?: string } } };
    };
    expect(health.checks.storage).toBe('ok');
    expect(health.details.storage).toMatchObject({ status: 'ok', details: { driver: 's3' } });
  });

  it('with storage.redirect answers 302 to a presigned URL that serves the bytes', async () => {
    const res = await fetch(`${redirecting.api}/media/attachments/777/photo.png`, { redirect: 'manual' });
    expect(res.status).toBe(302);
    const location = res.headers.get('location') ?? '';
    expect(location.startsWith(`${s3.endpoint}/${s3.bucket}/attachments/777/photo.png?`)).toBe(true);
    expect(location).toContain('X-Amz-Expires=120');
    expect(res.headers.get('cache-control')).toBe('private, max-age=60');

    // The URL the 302 named serves the bytes itself (a second request through the API would be
    // presigned anew, with another X-Amz-Date once the clock crossed a second).
    const followed = await fetch(location);
    expect(followed.status).toBe(200);
    expect(followed.headers.get('content-type')).toBe('image/png');
    expect(followed.headers.get('cache-control')).toBe(IMMUTABLE);
    expect(Buffer.from(await followed.arrayBuffer()).equals(BYTES)).toBe(true);

    // S3 is told to send non-media files as attachments too.
    const html = await fetch(`${redirecting.api}/media/attachments/888/notes.html`);
    expect(html.status).toBe(200);
    expect(html.headers.get('content-disposition')).toBe(
      `attachment; filename="notes.html"; filename*=UTF-8''notes.html`,
    );
    expect(await html.text()).toBe('<b>hi</b>');
  });

  it('with storage.redirect still answers 404 JSON for unknown keys', async () => {
    const res = await fetch(`${redirecting.api}/media/attachments/777/missing.png`, { redirect: 'manual' });
    expect(res.status).toBe(404);
    expect(await res.json()).toMatchObject({ code: 'unknown_media' });
  });
});

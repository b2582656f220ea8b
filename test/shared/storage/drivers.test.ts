import crypto from 'node:crypto';
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { InvalidKeyError, RangeNotSatisfiableError } from '../../../shared/storage/keys.js';
import { LocalStorage } from '../../../shared/storage/local.js';
import { MIN_PART_SIZE, S3Storage } from '../../../shared/storage/s3.js';
import type { BlobStorage } from '../../../shared/storage/types.js';
import { S3RVER_CREDENTIALS, startS3rver, type TestS3 } from '../../helpers/s3rver.js';

const MiB = 1024 * 1024;

interface Harness {
  storage: BlobStorage;
  /** Every file the driver left on disk (local only): no temp files, no orphans. */
  filesOnDisk(): Promise<string[]>;
  /** Bytes of an upload in progress that already left the process (temp file / parts sent). */
  bytesHandedOn(): number;
  /** How far a streaming put may read ahead of bytesHandedOn(). */
  readAheadLimit: number;
  close(): Promise<void>;
}

async function listFiles(dir: string): Promise<string[]> {
  const entries = await fsp.readdir(dir, { recursive: true, withFileTypes: true }).catch(() => []);
  return entries
    .filter((e) => e.isFile())
    .map((e) => path.relative(dir, path.join(e.parentPath, e.name)))
    .sort();
}

async function startLocal(): Promise<Harness> {
  const dir = await fsp.mkdtemp(path.join(os.tmpdir(), 'plexichat-local-storage-'));
  const storage = new LocalStorage(dir);
  return {
    storage,
    filesOnDisk: () => listFiles(dir),
    bytesHandedOn: () =>
      fs
        .readdirSync(path.join(dir, '.tmp'))
        .reduce((sum, name) => sum + fs.statSync(path.join(dir, '.tmp', name)).size, 0),
    // The write stream's buffer and a chunk or two in flight.
    readAheadLimit: MiB,
    close: () => fsp.rm(dir, { recursive: true, force: true }),
  };
}

let s3rver: TestS3 | undefined;

async function startS3(): Promise<Harness> {
  s3rver = await startS3rver();
  const storage = new S3Storage({
    bucket: s3rver.bucket,
    region: 'us-east-1',
    endpoint: s3rver.endpoint,
    forcePathStyle: true,
    accessKeyId: S3RVER_CREDENTIALS.access_key_id,
    secretAccessKey: S3RVER_CREDENTIALS.secret_access_key,
    // The smallest part S3 allows, so the 20 MB upload below goes up in several parts.
    partSize: MIN_PART_SIZE,
  });
  const server = s3rver;
  // Parts of the upload in progress that reached s3rver (a new multipart upload starts over).
  let sent = 0;
  server.onRequest((req) => {
    const query = new URL(req.url ?? '/', 'http://s3').searchParams;
    if (req.method === 'POST' && query.has('uploads')) sent = 0;
    if (req.method === 'PUT' && query.has('partNumber')) sent += Number(req.headers['content-length'] ?? 0);
  });
  return {
    storage,
    filesOnDisk: () => Promise.resolve([]),
    bytesHandedOn: () => sent,
    // The part being filled.
    readAheadLimit: MIN_PART_SIZE + MiB,
    close: async () => {
      await storage.close();
      await server.close();
    },
  };
}

async function readAll(body: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of body) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

// The pattern repeats every 256 bytes, so any slice of it is a copy out of this table.
const PATTERN = Buffer.from(Array.from({ length: 256 + 64 * 1024 }, (_, i) => (i * 31 + 7) & 0xff));

/** A deterministic pattern: byte i of the stream is (i * 31 + 7) & 0xff. */
function patternChunk(offset: number, length: number): Buffer {
  const out = Buffer.allocUnsafe(length);
  for (let done = 0; done < length;) {
    const from = (offset + done) % 256;
    done += PATTERN.copy(out, done, from, from + Math.min(64 * 1024, length - done));
  }
  return out;
}

/** A Readable over `total` bytes of the pattern, yielded lazily; `onChunk` sees each offset. */
function patternStream(total: number, chunkSize: number, onChunk?: (offset: number) => void): Readable {
  return Readable.from(
    (function* () {
      for (let offset = 0; offset < total; offset += chunkSize) {
        onChunk?.(offset);
        yield patternChunk(offset, Math.min(chunkSize, total - offset));
      }
    })(),
    { objectMode: false },
  );
}

/** A Readable that yields `before` bytes then fails. */
function failingStream(before: number): Readable {
  return Readable.from(
    (function* () {
      for (let offset = 0; offset < before; offset += 64 * 1024) yield patternChunk(offset, 64 * 1024);
      throw new Error('upload connection lost');
    })(),
    { objectMode: false },
  );
}

describe.each([
  ['local', startLocal],
  ['s3', startS3],
] as const)('%s storage driver', (driver, start) => {
  let h: Harness;
  let storage: BlobStorage;
  beforeAll(async () => {
    h = await start();
    storage = h.storage;
  });
  afterAll(() => h.close());

  it('reports its driver and passes its health check', async () => {
    expect(storage.driver).toBe(driver);
    await expect(storage.check()).resolves.toBeUndefined();
  });

  it('stores a buffer and reads it back with its type, size and validators', async () => {
    const bytes = Buffer.from('hello, storage');
    await expect(storage.put('attachments/1/hello.txt', bytes, 'text/plain')).resolves.toEqual({
      size: bytes.length,
      contentType: 'text/plain',
    });
    const head = await storage.head('attachments/1/hello.txt');
    expect(head).toMatchObject({ size: bytes.length, contentType: 'text/plain' });
    expect(head?.etag).toMatch(/^"[^"]+"$/);
    // Not toBeInstanceOf(Date): jest's realm has its own Date.
    expect(Number.isFinite(head?.lastModified.getTime())).toBe(true);
    const got = await storage.get('attachments/1/hello.txt');
    expect(got).toMatchObject({
      size: bytes.length,
      length: bytes.length,
      range: null,
      contentType: 'text/plain',
    });
    expect(got?.etag).toBe(head?.etag);
    expect(await readAll(got!.body)).toEqual(bytes);
  });

  it('stores a stream and an empty object', async () => {
    const result = await storage.put(
      'attachments/2/data.bin',
      patternStream(300_000, 10_000),
      'application/octet-stream',
    );
    expect(result.size).toBe(300_000);
    const got = await storage.get('attachments/2/data.bin');
    expect((await readAll(got!.body)).equals(patternChunk(0, 300_000))).toBe(true);

    await storage.put('attachments/2/empty', Readable.from([]), 'text/plain');
    const empty = await storage.get('attachments/2/empty');
    expect(empty).toMatchObject({ size: 0, length: 0 });
    expect((await readAll(empty!.body)).length).toBe(0);
  });

  it('reads byte ranges, clamps a range running past the end, refuses one starting past it', async () => {
    const bytes = patternChunk(0, 1000);
    await storage.put('ranges/object', bytes, 'application/octet-stream');

    const middle = await storage.get('ranges/object', { start: 100, end: 199 });
    expect(middle).toMatchObject({ size: 1000, length: 100, range: { start: 100, end: 199 } });
    expect(await readAll(middle!.body)).toEqual(bytes.subarray(100, 200));

    // (0-1, not 0-0: s3rver reads `bytes=0-0` as the whole object; real S3 does not.)
    const first = await storage.get('ranges/object', { start: 0, end: 1 });
    expect(await readAll(first!.body)).toEqual(bytes.subarray(0, 2));

    const tail = await storage.get('ranges/object', { start: 990, end: 5000 });
    expect(tail).toMatchObject({ length: 10, range: { start: 990, end: 999 } });
    expect(await readAll(tail!.body)).toEqual(bytes.subarray(990));

    await expect(storage.get('ranges/object', { start: 1000, end: 1100 })).rejects.toThrow(
      RangeNotSatisfiableError,
    );
    await expect(storage.get('ranges/object', { start: 1000, end: 1100 })).rejects.toMatchObject({
      size: 1000,
    });
  });

  it('answers null for missing keys and deletes idempotently', async () => {
    expect(await storage.get('nothing/here')).toBeNull();
    expect(await storage.get('nothing/here', { start: 0, end: 10 })).toBeNull();
    expect(await storage.head('nothing/here')).toBeNull();
    await expect(storage.delete('nothing/here')).resolves.toBeUndefined();

    await storage.put('deleted/1/file.txt', Buffer.from('bye'), 'text/plain');
    await storage.delete('deleted/1/file.txt');
    expect(await storage.head('deleted/1/file.txt')).toBeNull();
    expect(await storage.get('deleted/1/file.txt')).toBeNull();
    await storage.delete('deleted/1/file.txt');
    // A key below a stored object's name is simply missing (on disk `deleted/x` would be a file).
    await storage.put('deleted/x', Buffer.from('x'), 'text/plain');
    expect(await storage.head('deleted/x/y')).toBeNull();
    await storage.delete('deleted/x');
    if (driver === 'local') {
      expect((await h.filesOnDisk()).filter((f) => f.includes('deleted'))).toEqual([]);
    }
  });

  it('overwrites: the new bytes, type and ETag replace the old ones', async () => {
    await storage.put('over/write', Buffer.from('first version'), 'text/plain');
    const before = await storage.head('over/write');
    await storage.put('over/write', patternStream(5000, 1000), 'image/png');
    const after = await storage.get('over/write');
    expect(after).toMatchObject({ size: 5000, contentType: 'image/png' });
    expect(after?.etag).not.toBe(before?.etag);
    expect((await readAll(after!.body)).equals(patternChunk(0, 5000))).toBe(true);
  });

  it('a stream that fails midway stores nothing, and keeps an existing object intact', async () => {
    await expect(storage.put('broken/new', failingStream(200 * 1024), 'text/plain')).rejects.toThrow(
      'upload connection lost',
    );
    expect(await storage.head('broken/new')).toBeNull();

    // Past the first multipart part on S3: the upload is aborted, not completed.
    await expect(
      storage.put('broken/large', failingStream(MIN_PART_SIZE + MiB), 'text/plain'),
    ).rejects.toThrow('upload connection lost');
    expect(await storage.head('broken/large')).toBeNull();

    await storage.put('broken/existing', Buffer.from('keep me'), 'text/plain');
    await expect(storage.put('broken/existing', failingStream(100 * 1024), 'image/png')).rejects.toThrow();
    const kept = await storage.get('broken/existing');
    expect(kept?.contentType).toBe('text/plain');
    expect((await readAll(kept!.body)).toString()).toBe('keep me');

    // A body destroyed without an error (a client that hung up) fails the put just the same.
    const aborted = patternStream(10 * MiB, 64 * 1024, (offset) => {
      if (offset >= MiB) aborted.destroy();
    });
    await expect(storage.put('broken/aborted', aborted, 'text/plain')).rejects.toThrow();
    expect(await storage.head('broken/aborted')).toBeNull();

    if (driver === 'local') {
      const files = await h.filesOnDisk();
      expect(files.filter((f) => f.startsWith('.tmp'))).toEqual([]);
      expect(files.filter((f) => f.includes('broken/'))).toEqual([
        '.meta/broken/existing.json',
        'broken/existing',
      ]);
    }
  });

  it('streams a 20 MB upload: it never reads far ahead of what it has passed on', async () => {
    const total = 20 * MiB;
    // Each time the generator is asked for more, compare what it produced with what already left
    // the process: a driver that buffered the file would read all 20 MB before passing any on.
    let readAhead = 0;
    const body = patternStream(total, 64 * 1024, (offset) => {
      readAhead = Math.max(readAhead, offset - h.bytesHandedOn());
    });
    const expected = crypto.createHash('sha256');
    for (let offset = 0; offset < total; offset += 64 * 1024)
      expected.update(patternChunk(offset, 64 * 1024));

    await expect(storage.put('large/20mb.bin', body, 'application/octet-stream')).resolves.toMatchObject({
      size: total,
    });
    expect(readAhead).toBeGreaterThan(0);
    expect(readAhead).toBeLessThanOrEqual(h.readAheadLimit);

    const got = await storage.get('large/20mb.bin');
    expect(got?.size).toBe(total);
    const actual = crypto.createHash('sha256');
    for await (const chunk of got!.body) actual.update(chunk as Buffer);
    expect(actual.digest('hex')).toBe(expected.digest('hex'));

    const ranged = await storage.get('large/20mb.bin', { start: 7 * MiB, end: 7 * MiB + 99 });
    expect(await readAll(ranged!.body)).toEqual(patternChunk(7 * MiB, 100));
  });

  it('presigns a GET URL (S3) or has none (local)', async () => {
    await storage.put('signed/report.html', Buffer.from('<script>alert(1)</script>'), 'text/html');
    const url = await storage.presignedUrl('signed/report.html', 60, {
      contentType: 'text/html',
      contentDisposition: "attachment; filename*=UTF-8''report.html",
    });
    if (driver === 'local') {
      expect(url).toBeNull();
      return;
    }
    expect(url).toMatch(
      /^http:\/\/127\.0\.0\.1:\d+\/plexichat-test\/signed\/report\.html\?.*X-Amz-Signature=/,
    );
    const res = await fetch(url!);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-disposition')).toBe("attachment; filename*=UTF-8''report.html");
    expect(await res.text()).toBe('<script>alert(1)</script>');
  });

  it('refuses keys that could escape the directory or are not of the key syntax', async () => {
    const bad = [
      '',
      '../escape',
      'a/../../escape',
      'a/./b',
      '/etc/passwd',
      'a//b',
      'a/',
      '.meta/x.json',
      '.tmp/x',
      'a/.hidden',
      'with space',
      'back\\slash',
      'ünïcode',
      'percent%2e%2e',
      'x'.repeat(513),
    ];
    for (const key of bad) {
      await expect(storage.put(key, Buffer.from('x'), 'text/plain')).rejects.toThrow(InvalidKeyError);
      await expect(storage.get(key)).rejects.toThrow(InvalidKeyError);
      await expect(storage.head(key)).rejects.toThrow(InvalidKeyError);
      await expect(storage.delete(key)).rejects.toThrow(InvalidKeyError);
    }
    await expect(storage.put('../escape', patternStream(10, 10), 'text/plain')).rejects.toThrow(
      InvalidKeyError,
    );
    const good = 'attachments/123456789012345678/photo.v2_final-1.PNG';
    await storage.put(good, Buffer.from('ok'), 'image/png');
    expect(await storage.head(good)).toMatchObject({ size: 2 });
  });
});

describe('storage health checks fail when the storage is unusable', () => {
  it('local: a file where the directory should be', async () => {
    const file = path.join(await fsp.mkdtemp(path.join(os.tmpdir(), 'plexichat-not-a-dir-')), 'media');
    await fsp.writeFile(file, 'not a directory');
    await expect(new LocalStorage(file).check()).rejects.toThrow();
  });

  it('s3: a bucket that does not exist', async () => {
    const server = await startS3rver('existing-bucket');
    const storage = new S3Storage({
      bucket: 'missing-bucket',
      region: 'us-east-1',
      endpoint: server.endpoint,
      forcePathStyle: true,
      accessKeyId: S3RVER_CREDENTIALS.access_key_id,
      secretAccessKey: S3RVER_CREDENTIALS.secret_access_key,
    });
    try {
      await expect(storage.check()).rejects.toThrow();
    } finally {
      await storage.close();
      await server.close();
    }
  });
});

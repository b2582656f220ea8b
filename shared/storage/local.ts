import crypto from 'node:crypto';
import type { BigIntStats } from 'node:fs';
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { assertValidKey, RangeNotSatisfiableError } from './keys.js';
import type { BlobStorage, ByteRange, ObjectInfo, ObjectStream, StoredObject } from './types.js';

/** What the sidecar of an object records (the bytes themselves stay a plain file). */
interface Sidecar {
  content_type: string;
}

const FALLBACK_TYPE = 'application/octet-stream';
/** Temp files older than this are leftovers of a crash, swept once per process. */
const STALE_TEMP_MS = 24 * 60 * 60 * 1000;

function errnoCode(err: unknown): string | undefined {
  return (err as NodeJS.ErrnoException | null)?.code;
}

/**
 * Missing file, a path through something that is not a directory (key `a/b` where `a` is a file),
 * or a name longer than the filesystem allows (a valid key may have a segment over 255 bytes; no
 * stored file has one).
 */
function isMissing(err: unknown): boolean {
  const code = errnoCode(err);
  return code === 'ENOENT' || code === 'ENOTDIR' || code === 'ENAMETOOLONG';
}

/**
 * Objects as plain files under one directory: `<root>/<key>` holds the bytes, `<root>/.meta/<key>.json`
 * the content type, and writes go to `<root>/.tmp/` first and are renamed into place, so a reader
 * sees the old object or the new one, never a partial file. Keys never start a segment with a dot,
 * so no key can name `.meta` or `.tmp`.
 */
export class LocalStorage implements BlobStorage {
  readonly driver = 'local' as const;
  readonly root: string;
  private readonly tmpDir: string;
  private readonly metaDir: string;
  private swept: Promise<void> | null = null;

  constructor(root: string) {
    this.root = path.resolve(root);
    this.tmpDir = path.join(this.root, '.tmp');
    this.metaDir = path.join(this.root, '.meta');
  }

  private paths(key: string): { file: string; meta: string } {
    assertValidKey(key);
    const file = path.join(this.root, ...key.split('/'));
    // The key syntax already forbids escaping; this keeps it true should the syntax ever loosen.
    if (!file.startsWith(this.root + path.sep)) throw new Error(`storage key escapes the root: ${key}`);
    return { file, meta: path.join(this.metaDir, ...key.split('/')) + '.json' };
  }

  private async prepareTemp(): Promise<void> {
    this.swept ??= (async () => {
      await fsp.mkdir(this.tmpDir, { recursive: true });
      const cutoff = Date.now() - STALE_TEMP_MS;
      for (const name of await fsp.readdir(this.tmpDir)) {
        const file = path.join(this.tmpDir, name);
        const stat = await fsp.stat(file).catch(() => null);
        if (stat && stat.mtimeMs < cutoff) await fsp.rm(file, { force: true });
      }
    })().catch((err: unknown) => {
      this.swept = null;
      throw err;
    });
    await this.swept;
  }

  /** Renames into place, creating the parent; retried once because delete() prunes empty parents. */
  private async moveInto(from: string, to: string): Promise<void> {
    for (let attempt = 0; ; attempt++) {
      await fsp.mkdir(path.dirname(to), { recursive: true });
      try {
        await fsp.rename(from, to);
        return;
      } catch (err) {
        if (errnoCode(err) !== 'ENOENT' || attempt > 0) throw err;
      }
    }
  }

  private async contentType(meta: string): Promise<string> {
    try {
      const sidecar = JSON.parse(await fsp.readFile(meta, 'utf8')) as Partial<Sidecar>;
      return typeof sidecar.content_type === 'string' ? sidecar.content_type : FALLBACK_TYPE;
    } catch (err) {
      if (isMissing(err)) return FALLBACK_TYPE;
      throw err;
    }
  }

  private static info(stat: BigIntStats, contentType: string): ObjectInfo {
    // Every put renames a fresh file into place, so inode + size + mtime (ns) change with the bytes.
    const etag = `"${stat.ino.toString(36)}-${stat.size.toString(36)}-${stat.mtimeNs.toString(36)}"`;
    return { size: Number(stat.size), contentType, etag, lastModified: stat.mtime };
  }

  /** Stores `body` under `key`: to a temp file first, renamed into place once complete. */
  async put(key: string, body: Readable | Buffer, contentType: string): Promise<StoredObject> {
    const { file, meta } = this.paths(key);
    await this.prepareTemp();
    const base = path.join(this.tmpDir, crypto.randomBytes(12).toString('hex'));
    const tmpData = `${base}.data`;
    const tmpMeta = `${base}.json`;
    try {
      if (Buffer.isBuffer(body)) await fsp.writeFile(tmpData, body, { flag: 'wx' });
      else await pipeline(body, fs.createWriteStream(tmpData, { flags: 'wx' }));
      const { size } = await fsp.stat(tmpData);
      const sidecar: Sidecar = { content_type: contentType };
      await fsp.writeFile(tmpMeta, JSON.stringify(sidecar), { flag: 'wx' });
      // Metadata first: a reader racing an overwrite may pair the new type with the old bytes for an
      // instant, but never finds bytes without their type.
      await this.moveInto(tmpMeta, meta);
      await this.moveInto(tmpData, file);
      return { size, contentType };
    } catch (err) {
      if (!Buffer.isBuffer(body)) body.destroy();
      await Promise.all([fsp.rm(tmpData, { force: true }), fsp.rm(tmpMeta, { force: true })]);
      throw err;
    }
  }

  /** Opens `key`, or `range` of it, from one file descriptor (size and bytes from the same file). */
  async get(key: string, range?: ByteRange): Promise<ObjectStream | null> {
    const { file, meta } = this.paths(key);
    let handle: fsp.FileHandle;
    try {
      handle = await fsp.open(file, 'r');
    } catch (err) {
      if (isMissing(err) || errnoCode(err) === 'EISDIR') return null;
      throw err;
    }
    try {
      const stat = await handle.stat({ bigint: true });
      if (!stat.isFile()) {
        await handle.close();
        return null;
      }
      const info = LocalStorage.info(stat, await this.contentType(meta));
      let resolved: ByteRange | null = null;
      if (range) {
        if (range.start < 0 || range.end < range.start || range.start >= info.size) {
          throw new RangeNotSatisfiableError(info.size);
        }
        resolved = { start: range.start, end: Math.min(range.end, info.size - 1) };
      }
      const body = handle.createReadStream(
        resolved ? { start: resolved.start, end: resolved.end, autoClose: true } : { autoClose: true },
      );
      const length = resolved ? resolved.end - resolved.start + 1 : info.size;
      return { ...info, body, length, range: resolved };
    } catch (err) {
      await handle.close();
      throw err;
    }
  }

  async head(key: string): Promise<ObjectInfo | null> {
    const { file, meta } = this.paths(key);
    let stat: BigIntStats;
    try {
      stat = await fsp.stat(file, { bigint: true });
    } catch (err) {
      if (isMissing(err)) return null;
      throw err;
    }
    if (!stat.isFile()) return null;
    return LocalStorage.info(stat, await this.contentType(meta));
  }

  async delete(key: string): Promise<void> {
    const { file, meta } = this.paths(key);
    for (const [target, top] of [
      [file, this.root],
      [meta, this.metaDir],
    ] as const) {
      try {
        await fsp.unlink(target);
      } catch (err) {
        if (!isMissing(err)) throw err;
      }
      await this.pruneEmptyParents(path.dirname(target), top);
    }
  }

  /** Removes now-empty directories up to (not including) `top`, so deleted uploads leave no trace. */
  private async pruneEmptyParents(dir: string, top: string): Promise<void> {
    while (dir.startsWith(top + path.sep)) {
      try {
        await fsp.rmdir(dir);
      } catch {
        // Not empty (or already gone, or a put just created it): stop here.
        return;
      }
      dir = path.dirname(dir);
    }
  }

  presignedUrl(): Promise<string | null> {
    return Promise.resolve(null);
  }

  /** The directory exists (it is created if missing) and this process may write to it. */
  async check(): Promise<void> {
    await fsp.mkdir(this.root, { recursive: true });
    await fsp.access(this.root, fs.constants.W_OK);
  }

  close(): Promise<void> {
    return Promise.resolve();
  }
}

import type { Request, Response } from 'express';
import { pipeline } from 'node:stream/promises';
import { ApiError, NotFoundError } from '../../../shared/errors.js';
import type { Runtime } from '../../../shared/runtime.js';
import { isPrivateKey, isValidKey, RangeNotSatisfiableError } from '../../../shared/storage/keys.js';
import type { ByteRange, ObjectInfo, ObjectStream } from '../../../shared/storage/types.js';
import { contentDisposition, servedType } from '../../media/disposition.js';
import { ifRangeAllows, isNotModified, parseRange } from '../../media/range.js';
import { definePublicRoute, type AnyRoute } from '../route.js';
import { mediaParams, type MediaParams } from './schema.js';

/** Keys never change content (they hold snowflake ids), so caches may keep a copy for a year. */
const IMMUTABLE = 'public, max-age=31536000, immutable';
/** No script, no plugins, no same-origin rights: an uploaded HTML or SVG file runs nothing here. */
const SANDBOX_CSP = "default-src 'none'; sandbox";

function unsatisfiable(size: number): ApiError {
  return new ApiError(
    416,
    'range_not_satisfiable',
    `Range not satisfiable (the file is ${size} bytes)`,
    undefined,
    {
      size,
    },
  );
}

/** The headers every successful answer carries (200, 206, 304 and HEAD alike). */
function setObjectHeaders(res: Response, key: string, info: ObjectInfo): void {
  const type = servedType(info.contentType);
  res.setHeader('Content-Type', type);
  res.setHeader('Content-Disposition', contentDisposition(type, key.slice(key.lastIndexOf('/') + 1)));
  res.setHeader('X-Content-Type-Options', 'nosniff');
  res.setHeader('Content-Security-Policy', SANDBOX_CSP);
  // Web clients on another origin embed these with <img>/<video>; helmet's default is same-origin.
  res.setHeader('Cross-Origin-Resource-Policy', 'cross-origin');
  res.setHeader('Accept-Ranges', 'bytes');
  res.setHeader('Cache-Control', IMMUTABLE);
  res.setHeader('ETag', info.etag);
  res.setHeader('Last-Modified', info.lastModified.toUTCString());
}

/** Answers with a 302 to a presigned URL that makes S3 send the same type, disposition and caching. */
async function redirectToStorage(rt: Runtime, key: string, res: Response): Promise<void> {
  const info = await rt.storage.head(key);
  if (!info) throw new NotFoundError('media');
  const ttl = rt.config.storage.presign_ttl_seconds;
  const type = servedType(info.contentType);
  const url = await rt.storage.presignedUrl(key, ttl, {
    contentType: type,
    contentDisposition: contentDisposition(type, key.slice(key.lastIndexOf('/') + 1)),
    cacheControl: IMMUTABLE,
  });
  if (!url) throw new Error(`storage driver ${rt.storage.driver} cannot presign`);
  // The redirect may be reused while the signature is comfortably valid, by this client only.
  res.setHeader('Cache-Control', `private, max-age=${Math.floor(ttl / 2)}`);
  res.redirect(302, url);
}

/** Streams the object (or the requested range of it), honouring conditional and Range requests. */
async function serveObject(rt: Runtime, key: string, req: Request, res: Response): Promise<void> {
  const rangeHeader = req.headers.range;
  const conditional =
    req.headers['if-none-match'] !== undefined || req.headers['if-modified-since'] !== undefined;
  // A plain GET opens the object straight away (one round trip to S3); the rest need its size or
  // validators before deciding what to send.
  let opened: ObjectStream | null = null;
  let info: ObjectInfo | null;
  if (req.method === 'GET' && !rangeHeader && !conditional) info = opened = await rt.storage.get(key);
  else info = await rt.storage.head(key);
  if (!info) throw new NotFoundError('media');

  if (isNotModified(req.headers, info.etag, info.lastModified)) {
    setObjectHeaders(res, key, info);
    res.status(304).end();
    return;
  }
  let range: ByteRange | null = null;
  if (rangeHeader && ifRangeAllows(req.get('if-range'), info.etag, info.lastModified)) {
    const wanted = parseRange(rangeHeader, info.size);
    if (wanted.kind === 'unsatisfiable') {
      res.setHeader('Content-Range', `bytes */${info.size}`);
      throw unsatisfiable(info.size);
    }
    if (wanted.kind === 'range') range = wanted.range;
  }

  if (req.method === 'HEAD') {
    setObjectHeaders(res, key, info);
    if (range) {
      res.status(206).setHeader('Content-Range', `bytes ${range.start}-${range.end}/${info.size}`);
    }
    res.setHeader('Content-Length', String(range ? range.end - range.start + 1 : info.size));
    res.end();
    return;
  }
  if (!opened) {
    try {
      opened = await rt.storage.get(key, range ?? undefined);
    } catch (err) {
      // Replaced by a shorter file since the HEAD: the range no longer fits.
      if (err instanceof RangeNotSatisfiableError) {
        res.setHeader('Content-Range', `bytes */${err.size}`);
        throw unsatisfiable(err.size);
      }
      throw err;
    }
    if (!opened) throw new NotFoundError('media');
  }
  setObjectHeaders(res, key, opened);
  if (opened.range) {
    const { start, end } = opened.range;
    res.status(206).setHeader('Content-Range', `bytes ${start}-${end}/${opened.size}`);
  }
  res.setHeader('Content-Length', String(opened.length));
  try {
    await pipeline(opened.body, res);
  } catch (err) {
    // The client went away mid-download: nothing to answer and nothing worth logging as an error.
    if (res.destroyed && !res.writableFinished) return;
    throw err;
  }
}

/** GET (and HEAD) /media/{key...}: stored files, streamed or redirected to S3. */
export function mediaRoutes(rt: Runtime): AnyRoute[] {
  return [
    definePublicRoute<MediaParams>({
      method: 'get',
      path: '/media/{key...}',
      summary: 'A stored file (attachment, thumbnail, avatar, icon, emoji)',
      description:
        'Serves the file stored under `key`, which may contain slashes (`attachments/<id>/<name>`); the ' +
        '`url` of an attachment points here. No token is needed: keys hold snowflake ids and are ' +
        'handed out only with the objects that reference them (the same model as Discord CDN URLs), ' +
        'so a URL is a capability to share, not something to guess. HEAD is answered too.\n\n' +
        'Single byte ranges are served (`Range: bytes=0-99`, `bytes=100-`, `bytes=-100`) with 206 and ' +
        '`Content-Range`; a range past the end is 416 with `Content-Range: bytes */<size>`; several ranges ' +
        'in one request, or a malformed Range header, get the whole file (200). `If-None-Match` / ' +
        '`If-Modified-Since` give 304 and `If-Range` is honoured (strong `ETag`).\n\n' +
        'Every file is sent with `Cache-Control: public, max-age=31536000, immutable` (a key never ' +
        "changes content), `X-Content-Type-Options: nosniff`, `Content-Security-Policy: default-src 'none'; " +
        'sandbox` and `Content-Disposition: inline` for images, video and audio, `attachment` (with ' +
        "`filename*=UTF-8''<name>`) for everything else, SVG included: an uploaded HTML or SVG file can " +
        'never run script on this origin.\n\n' +
        'With `storage.redirect` on the S3 driver the answer is a 302 to a presigned URL valid ' +
        '`storage.presign_ttl_seconds`, which makes S3 send the same type, disposition and caching headers. ' +
        'Any key that names no stored file (malformed ones included) is 404 `unknown_media`.',
      tags: ['Media'],
      params: mediaParams,
      responses: {
        200: { description: 'The file (binary, its own Content-Type)' },
        206: { description: 'The requested range of the file, with Content-Range' },
        302: { description: 'With storage.redirect on S3: Location is a presigned URL of the file' },
        304: { description: 'The cached copy named by If-None-Match / If-Modified-Since is current' },
        404: { description: '`unknown_media`: nothing is stored under this key' },
        416: { description: '`range_not_satisfiable`: the range starts past the end of the file' },
      },
      handler: async ({ params, req, res }) => {
        const { key } = params;
        // Data exports are private: only GET /users/@me/export/archive serves them, to their owner.
        if (!isValidKey(key) || isPrivateKey(key)) throw new NotFoundError('media');
        if (rt.config.storage.redirect && rt.storage.driver === 's3') await redirectToStorage(rt, key, res);
        else await serveObject(rt, key, req, res);
        return undefined;
      },
    }),
  ];
}

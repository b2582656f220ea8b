import { pipeline } from 'node:stream/promises';
import type { Readable } from 'node:stream';
import { fileTypeFromBuffer } from 'file-type';
import { ApiError, ValidationError } from '../../../shared/errors.js';
import { verifyProxySignature } from '../../../shared/net/proxy-url.js';
import {
  plainlyBlocked,
  safeFetch,
  SafeFetchError,
  type SafeFetchErrorCode,
} from '../../../shared/net/safe-fetch.js';
import type { Runtime } from '../../../shared/runtime.js';
import { definePublicRoute, type AnyRoute } from '../route.js';
import { proxyQuery } from './schema.js';

/** Image types relayed, as sniffed from the bytes. Never SVG: it is a document that runs scripts. */
const RELAYED_TYPES = new Set([
  'image/png',
  'image/apng',
  'image/jpeg',
  'image/gif',
  'image/webp',
  'image/avif',
  'image/bmp',
  'image/x-icon',
]);

/** Bytes file-type needs to recognize every relayed format. */
const SNIFF_BYTES = 4100;

/** How long clients and shared caches may keep a relayed image. */
const CACHE_CONTROL = 'public, max-age=86400';

/** The answer for each way the fetch can fail. */
const FAILURES: Record<SafeFetchErrorCode, number> = {
  bad_url: 400,
  blocked_address: 403,
  too_large: 413,
  timeout: 504,
  too_many_redirects: 502,
  http_error: 502,
  fetch_failed: 502,
};

function fetchFailure(err: SafeFetchError): ApiError {
  const extra = err.status !== undefined ? { upstream_status: err.status } : undefined;
  return new ApiError(FAILURES[err.code], err.code, err.message, undefined, extra);
}

/** Reads at least `n` bytes of `stream` (fewer if it ends first) and leaves it paused for the rest. */
function readHead(stream: Readable, n: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let length = 0;
    const finish = (): void => {
      stream.off('data', onData);
      stream.off('end', finish);
      stream.off('error', reject);
      stream.pause();
      resolve(Buffer.concat(chunks));
    };
    const onData = (chunk: Buffer): void => {
      chunks.push(chunk);
      length += chunk.length;
      if (length >= n) finish();
    };
    stream.on('data', onData);
    stream.once('end', finish);
    stream.once('error', reject);
  });
}

/** GET /proxy: relays external images that this instance linked to (link preview images). */
export function proxyRoutes(rt: Runtime): AnyRoute[] {
  const { outbound } = rt.config;
  return [
    definePublicRoute<Record<string, never>, { url: string; sig?: string }>({
      method: 'get',
      path: '/proxy',
      summary: 'Media proxy',
      description:
        'Relays an external image so that clients never contact third-party sites (which would learn their IP ' +
        'addresses). Only URLs this instance produced are relayed: `sig` is its HMAC of `url` (400 `bad_signature` ' +
        'otherwise), so the proxy is not an open relay; link previews hand out such URLs in `image.url`. A URL ' +
        'whose host is a private or reserved address literal (or `localhost`) is 403 `blocked_address` with or ' +
        'without `sig`. The fetch ' +
        'goes through the SSRF-safe fetcher: no private, loopback, link-local or metadata addresses (403 ' +
        '`blocked_address`), redirects re-checked (at most `outbound.max_redirects`), connect and total timeouts ' +
        '(504 `timeout`), at most `outbound.proxy_max_bytes` (413 `too_large` when the size is declared; a body ' +
        'that outgrows it while streaming is cut off). The type is sniffed from the first bytes: PNG, APNG, JPEG, ' +
        'GIF, WebP, AVIF, BMP and ICO are relayed with that `Content-Type`, anything else (SVG and HTML included) ' +
        'is 415. Answers carry `X-Content-Type-Options: nosniff`, a sandboxing `Content-Security-Policy` and ' +
        '`Cache-Control`. No token needed (images load from `<img>`).',
      tags: ['Media'],
      query: proxyQuery,
      responses: {
        200: { description: 'The image, streamed' },
        400: { description: '`bad_signature`, or a malformed `url`/`sig` (named)' },
        403: { description: '`blocked_address`: the URL leads to a private or reserved address' },
        413: { description: '`too_large`: larger than outbound.proxy_max_bytes' },
        415: { description: '`unsupported_media_type`: not one of the relayed image types' },
        502: { description: '`http_error` (with `upstream_status`), `fetch_failed`, `too_many_redirects`' },
        504: { description: '`timeout`' },
      },
      handler: async ({ query, res }) => {
        // Even an error body is never a document a browser would run.
        res.setHeader('Content-Security-Policy', "default-src 'none'; sandbox");
        res.setHeader('X-Content-Type-Options', 'nosniff');
        // API.md's "no private addresses" is answered as such, signed or not, when no lookup is needed.
        if (plainlyBlocked(query.url, outbound)) {
          throw fetchFailure(
            new SafeFetchError('blocked_address', 'The URL leads to a private or reserved address'),
          );
        }
        if (query.sig === undefined) throw new ValidationError({ sig: 'sig is required' });
        if (!verifyProxySignature(rt.config, query.url, query.sig)) {
          throw new ApiError(400, 'bad_signature', 'This URL was not signed by this instance', {
            sig: 'does not match the url',
          });
        }
        const aborted = new AbortController();
        // The client left: stop fetching.
        res.once('close', () => aborted.abort(new SafeFetchError('fetch_failed', 'client went away')));
        let upstream;
        try {
          upstream = await safeFetch(query.url, {
            outbound,
            maxBytes: outbound.proxy_max_bytes,
            headers: { accept: 'image/avif,image/webp,image/png,image/jpeg,image/gif,image/*;q=0.8' },
            signal: aborted.signal,
          });
        } catch (err) {
          if (err instanceof SafeFetchError) throw fetchFailure(err);
          throw err;
        }
        let head: Buffer;
        try {
          head = await readHead(upstream.body, SNIFF_BYTES);
        } catch (err) {
          upstream.close();
          if (err instanceof SafeFetchError) throw fetchFailure(err);
          throw err;
        }
        const type = await fileTypeFromBuffer(head);
        if (!type || !RELAYED_TYPES.has(type.mime)) {
          upstream.close();
          throw new ApiError(
            415,
            'unsupported_media_type',
            'Only PNG, JPEG, GIF, WebP, AVIF, BMP and ICO images are relayed',
          );
        }
        res.status(200);
        res.setHeader('Content-Type', type.mime);
        res.setHeader('Cache-Control', CACHE_CONTROL);
        // Clients on other origins (a web client served elsewhere) may show the image.
        res.setHeader('Cross-Origin-Resource-Policy', 'cross-origin');
        const declared = upstream.headers['content-length'];
        if (declared !== undefined && /^\d+$/.test(declared)) res.setHeader('Content-Length', declared);
        res.write(head);
        try {
          await pipeline(upstream.body, res);
        } catch (err) {
          // Headers are gone: a body that failed midway (too large, timeout) can only be cut off.
          rt.logger.warn({ err: (err as Error).message, url: query.url }, 'media proxy stream cut');
          res.destroy();
        }
        return undefined;
      },
    }),
  ];
}

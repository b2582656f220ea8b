import crypto from 'node:crypto';
import createMetascraper from 'metascraper';
import metascraperDescription from 'metascraper-description';
import metascraperImage from 'metascraper-image';
import metascraperPublisher from 'metascraper-publisher';
import metascraperTitle from 'metascraper-title';
import metascraperUrl from 'metascraper-url';
import { safeFetch, SafeFetchError } from '../../shared/net/safe-fetch.js';
import type { LinkPreview } from '../../shared/presenters/embed.js';
import type { Runtime } from '../../shared/runtime.js';

const HTML_TYPES = new Set(['text/html', 'application/xhtml+xml']);

/** Longest title / description / site name kept (Discord's limits, give or take). */
const MAX_TITLE = 256;
const MAX_DESCRIPTION = 350;
const MAX_SITE_NAME = 256;
const MAX_IMAGE_URL = 2048;
/** Longest theme-color value looked at (`rgba(255, 255, 255, 0.5)` is 24). */
const MAX_THEME_COLOR = 64;

const scrape = createMetascraper([
  metascraperTitle(),
  metascraperDescription(),
  metascraperImage(),
  metascraperPublisher(),
  metascraperUrl(),
  // No plugin reads theme-color: the raw attribute here, parsed by parseThemeColor.
  {
    theme_color: [({ htmlDom }) => htmlDom('meta[name="theme-color" i]').first().attr('content')],
  },
]);

/**
 * `<meta name="theme-color">` as 0xRRGGBB: `#rgb`, `#rrggbb`, `#rrggbbaa` (alpha dropped) or
 * `rgb(r, g, b)`; anything else (named colors, hsl, var()) is null.
 */
export function parseThemeColor(value: string | null | undefined): number | null {
  // No color is longer: a page's megabyte of attribute is refused unread.
  if (!value || value.length > MAX_THEME_COLOR) return null;
  const v = value.trim().toLowerCase();
  let m = /^#([0-9a-f]{3})$/.exec(v);
  if (m?.[1]) return parseInt([...m[1]].map((c) => c + c).join(''), 16);
  m = /^#([0-9a-f]{6})(?:[0-9a-f]{2})?$/.exec(v);
  if (m?.[1]) return parseInt(m[1], 16);
  // Separators are a comma with optional spaces, or spaces alone: never two ways to read a run of
  // spaces (`\s*[, ]\s*` had many, and backtracked through each of them).
  m =
    /^rgba?\(\s*(\d{1,3})(?:\s*,\s*|\s+)(\d{1,3})(?:\s*,\s*|\s+)(\d{1,3})\s*(?:[,/]\s*[\d.]+%?\s*)?\)$/.exec(
      v,
    );
  if (m) {
    const [r, g, b] = [m[1], m[2], m[3]].map(Number) as [number, number, number];
    if (r > 255 || g > 255 || b > 255) return null;
    return (r << 16) | (g << 8) | b;
  }
  return null;
}

function clip(value: string | null | undefined, max: number): string | null {
  const v = value?.replace(/\s+/g, ' ').trim();
  if (!v) return null;
  return v.length > max ? `${v.slice(0, max - 1)}…` : v;
}

function httpUrl(value: string | null | undefined, max = MAX_IMAGE_URL): string | null {
  if (!value || value.length > max) return null;
  try {
    const url = new URL(value);
    return url.protocol === 'http:' || url.protocol === 'https:' ? url.toString() : null;
  } catch {
    return null;
  }
}

/** Decodes a page with the charset its Content-Type names (UTF-8 when none or unknown). */
function decodeHtml(body: Buffer, contentType: string | string[] | undefined): string {
  const charset = /charset=["']?([\w-]+)/i.exec(String(contentType ?? ''))?.[1];
  try {
    return new TextDecoder(charset ?? 'utf-8').decode(body);
  } catch {
    return new TextDecoder('utf-8').decode(body);
  }
}

/** What the HTML of `pageUrl` (the URL that answered) says about itself; null when it says nothing useful. */
export async function extractPreview(html: string, pageUrl: string): Promise<LinkPreview | null> {
  // The URL was vetted by the fetcher; metascraper's own check refuses some valid ones (odd ports).
  const meta = await scrape({ html, url: pageUrl, validateUrl: false });
  const title = clip(meta.title, MAX_TITLE);
  const description = clip(meta.description, MAX_DESCRIPTION);
  const image = httpUrl(meta.image);
  if (!title && !description && !image) return null;
  // A page may name its canonical URL, but only on its own site: a preview must not claim to be
  // another site's page (og:url pointing at a bank while the link goes elsewhere).
  const canonical = httpUrl(meta.url);
  const url = canonical && new URL(canonical).origin === new URL(pageUrl).origin ? canonical : pageUrl;
  return {
    url,
    title,
    description,
    site_name: clip(meta.publisher, MAX_SITE_NAME),
    color: parseThemeColor(meta.theme_color),
    image,
  };
}

/**
 * Fetches `url` through the SSRF-safe fetcher (HTML only, at most outbound.preview_max_bytes read:
 * the metadata lives in the head) and extracts its preview. Any failure is "no preview".
 */
export async function fetchPreview(
  rt: Pick<Runtime, 'config' | 'logger'>,
  url: string,
): Promise<LinkPreview | null> {
  const { outbound } = rt.config;
  try {
    const res = await safeFetch(url, {
      outbound,
      maxBytes: outbound.preview_max_bytes,
      truncate: true,
      headers: { accept: 'text/html,application/xhtml+xml;q=0.9,*/*;q=0.1' },
    });
    if (!res.contentType || !HTML_TYPES.has(res.contentType)) {
      res.close();
      return null;
    }
    const html = decodeHtml(await res.read(), res.headers['content-type']);
    return await extractPreview(html, res.url);
  } catch (err) {
    const reason = err instanceof SafeFetchError ? err.code : (err as Error).message;
    rt.logger.debug({ url, reason }, 'no link preview');
    return null;
  }
}

/** The Redis key of a URL's cached preview. */
function cacheKey(rt: Pick<Runtime, 'config'>, url: string): string {
  return `${rt.config.redis.key_prefix}:link_preview:${crypto.createHash('sha256').update(url).digest('hex')}`;
}

/** Fetches of the same URL already under way in this process, shared by the jobs that want it. */
const inflight = new Map<string, Promise<LinkPreview | null>>();

/**
 * A URL's preview from the Redis cache, else fetched and cached for outbound.preview_cache_seconds
 * ("no preview" too: a site that failed is not hammered by every message that links it).
 */
export async function cachedPreview(
  rt: Pick<Runtime, 'config' | 'logger' | 'redis'>,
  url: string,
): Promise<LinkPreview | null> {
  const ttl = rt.config.outbound.preview_cache_seconds;
  const key = cacheKey(rt, url);
  if (ttl > 0) {
    const hit = await rt.redis.get(key);
    if (hit !== null) return JSON.parse(hit) as LinkPreview | null;
  }
  let pending = inflight.get(key);
  if (!pending) {
    pending = fetchPreview(rt, url).finally(() => inflight.delete(key));
    inflight.set(key, pending);
  }
  const preview = await pending;
  if (ttl > 0) await rt.redis.set(key, JSON.stringify(preview), 'EX', ttl);
  return preview;
}

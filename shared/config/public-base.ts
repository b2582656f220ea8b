import type { Config } from './index.js';

/**
 * The origin clients reach this instance at, for URLs handed out and not stored (links in mails, a
 * webhook's execute URL, media URLs in answers): server.public_url, else the address the API
 * listens on (right only on one machine; the configuration guide says to set public_url).
 */
export function publicBase(config: Pick<Config, 'server'>): string {
  const { public_url, host, port } = config.server;
  if (public_url) return public_url.replace(/\/+$/, '');
  return `http://${host.includes(':') ? `[${host}]` : host}:${port}`;
}

/**
 * The origin kept in URLs that are stored (an avatar's URL in its row, a message's attachments,
 * content_html): server.public_url, else none, a bare path that absoluteUrl resolves when it is
 * handed out. The listening address is never stored: it changes with the port, and rows outlive it.
 */
export function storedBase(config: Pick<Config, 'server'>): string {
  return config.server.public_url?.replace(/\/+$/, '') ?? '';
}

/** A stored URL as handed out: a bare path (`/api/v1/...`) joined to publicBase, anything else as is. */
export function absoluteUrl<T extends string | null>(config: Pick<Config, 'server'>, url: T): T {
  // `//host/...` is protocol-relative (an absolute URL), not a path of ours.
  if (url === null || !url.startsWith('/') || url.startsWith('//')) return url;
  return `${publicBase(config)}${url}` as T;
}

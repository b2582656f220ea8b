import crypto from 'node:crypto';
import { deriveKey } from '../auth/secret-key.js';
import type { Config } from '../config/index.js';
import { publicBase, storedBase } from '../config/public-base.js';

/** Where the API serves the media proxy (api/routes/media/proxy.ts), under the REST base. */
export const PROXY_PATH = '/api/v1/proxy';

type ProxyConfig = Pick<Config, 'server' | 'security' | 'data_dir'>;

/** The signature of `url`: HMAC-SHA256 under a key derived from the instance secret, base64url. */
export function proxySignature(config: ProxyConfig, url: string): string {
  return crypto.createHmac('sha256', deriveKey(config, 'media-proxy')).update(url).digest('base64url');
}

/** True when `sig` is this instance's signature of `url` (constant-time comparison). */
export function verifyProxySignature(config: ProxyConfig, url: string, sig: string): boolean {
  const expected = Buffer.from(proxySignature(config, url));
  const given = Buffer.from(sig);
  return given.length === expected.length && crypto.timingSafeEqual(given, expected);
}

/**
 * The media proxy URL that relays the external image `url`, always absolute:
 * `<publicBase>/api/v1/proxy?url=..&sig=..`. Only URLs signed here are relayed, so the proxy is no
 * open relay.
 */
export function proxyUrl(config: ProxyConfig, url: string): string {
  return `${publicBase(config)}${proxyPath(config, url)}`;
}

/**
 * proxyUrl as a message's stored embeds keep it: under server.public_url, else a bare path
 * (storedBase; answers resolve it with absoluteUrl).
 */
export function storedProxyUrl(config: ProxyConfig, url: string): string {
  return `${storedBase(config)}${proxyPath(config, url)}`;
}

function proxyPath(config: ProxyConfig, url: string): string {
  return `${PROXY_PATH}?url=${encodeURIComponent(url)}&sig=${proxySignature(config, url)}`;
}

import type { Config } from './index.js';

/**
 * The origin clients reach this instance at, for URLs handed out and not stored (links in mails, a
 * webhook's execute URL): server.public_url, else the address the API listens on (right only on
 * one machine; the configuration guide says to set public_url).
 */
export function publicBase(config: Pick<Config, 'server'>): string {
  const { public_url, host, port } = config.server;
  if (public_url) return public_url.replace(/\/+$/, '');
  return `http://${host.includes(':') ? `[${host}]` : host}:${port}`;
}

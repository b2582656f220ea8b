import type { Config } from '../config/index.js';

/** The URL clients fetch a stored object at: `<server.public_url>/api/v1/media/<key>` (relative without one). */
export function mediaUrl(config: Pick<Config, 'server'>, key: string): string {
  const base = config.server.public_url?.replace(/\/+$/, '') ?? '';
  return `${base}/api/v1/media/${key.split('/').map(encodeURIComponent).join('/')}`;
}

import { publicBase, storedBase } from '../config/public-base.js';
import type { Config } from '../config/index.js';

/** Where the API serves a stored object (api/routes/media/media.ts): `/api/v1/media/<key>`. */
export function mediaPath(key: string): string {
  return `/api/v1/media/${key.split('/').map(encodeURIComponent).join('/')}`;
}

/** The URL clients fetch a stored object at, always absolute: `<publicBase>/api/v1/media/<key>`. */
export function mediaUrl(config: Pick<Config, 'server'>, key: string): string {
  return `${publicBase(config)}${mediaPath(key)}`;
}

/**
 * A stored object's URL as rows and stored renderings keep it (avatars, icons, a message's
 * attachments, content_html): under server.public_url, else a bare path (storedBase; answers
 * resolve it with absoluteUrl).
 */
export function storedMediaUrl(config: Pick<Config, 'server'>, key: string): string {
  return `${storedBase(config)}${mediaPath(key)}`;
}

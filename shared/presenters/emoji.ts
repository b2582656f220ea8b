import type { Config } from '../config/index.js';
import type { Row } from '../db/models/index.js';
import { mediaUrl } from '../storage/urls.js';
import { unixSeconds } from './time.js';

/** A custom emoji as clients see it; `url` is the WebP (animated for animated emoji). */
export interface EmojiObject {
  id: string;
  server_id: string;
  name: string;
  animated: boolean;
  url: string;
  /** The PNG, or the animated GIF of an animated emoji, for clients without WebP. */
  fallback_url: string;
  creator_id: string | null;
  /** Unix seconds, as every object carries (data-types.txt). */
  created_at: number;
}

/** Presents one custom emoji. */
export function presentEmoji(config: Pick<Config, 'server'>, row: Row<'Emoji'>): EmojiObject {
  return {
    id: row.id,
    server_id: row.server_id,
    name: row.name,
    animated: row.animated,
    url: mediaUrl(config, row.webp_key),
    fallback_url: mediaUrl(config, row.fallback_key),
    creator_id: row.creator_id,
    created_at: unixSeconds(row.created_at),
  };
}

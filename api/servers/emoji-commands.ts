import type { Row } from '../../shared/db/models/index.js';
import type { EmojiUpload } from '../../shared/domain/emoji/create.js';
import { NotFoundError } from '../../shared/errors.js';
import { ServerPolicy } from '../../shared/permissions/index.js';
import { presentEmoji, type EmojiObject } from '../../shared/presenters/emoji.js';
import type { Runtime } from '../../shared/runtime.js';
import {
  squareRenditions,
  storeRenditions,
  type PictureLimits,
  type UploadedPicture,
} from '../media/images.js';

// Emoji reads and uploads; creating, renaming and deleting are shared/domain/emoji/.

/** Custom emoji limits (Discord's, roughly). */
export const EMOJI_LIMITS: PictureLimits = {
  field: 'image',
  maxBytes: 256 * 1024,
  maxSide: 1024,
  maxFrames: 500,
};
export const EMOJI_SIZE = 128;
export { MAX_EMOJIS_PER_SERVER } from '../../shared/domain/emoji/rules.js';

async function findEmoji(rt: Runtime, serverId: string, emojiId: string): Promise<Row<'Emoji'>> {
  const row = await rt.models.Emoji.findOne({ where: { id: emojiId, server_id: serverId } });
  if (!row) throw new NotFoundError('emoji');
  return row;
}

/** GET /servers/{id}/emojis: any member; oldest first. */
export async function listEmojis(rt: Runtime, serverId: string, userId: string): Promise<EmojiObject[]> {
  await ServerPolicy.load(rt, serverId, userId);
  const rows = await rt.models.Emoji.findAll({ where: { server_id: serverId }, order: [['id', 'ASC']] });
  return rows.map((row) => presentEmoji(rt.config, row));
}

/** GET /servers/{id}/emojis/{emoji_id}: any member. */
export async function getEmoji(
  rt: Runtime,
  serverId: string,
  emojiId: string,
  userId: string,
): Promise<EmojiObject> {
  await ServerPolicy.load(rt, serverId, userId);
  return presentEmoji(rt.config, await findEmoji(rt, serverId, emojiId));
}

/** What an audit entry records of an uploaded picture. */
export function uploadFacts(picture: UploadedPicture): Record<string, unknown> {
  return {
    size: picture.data.length,
    content_type: picture.mime,
    width: picture.width,
    height: picture.height,
    frames: picture.frames,
  };
}

/**
 * A picture the route read and checked, as the create command takes it: stored as a 128x128 WebP +
 * PNG (animated: animated WebP + GIF) when the command gets that far.
 */
export function emojiUpload(rt: Runtime, picture: UploadedPicture): EmojiUpload {
  return {
    facts: uploadFacts(picture),
    async store(id) {
      const renditions = await squareRenditions(picture, EMOJI_SIZE, true);
      const keys = await storeRenditions(rt, `emojis/${id}`, renditions);
      return { animated: renditions.animated, ...keys };
    },
  };
}

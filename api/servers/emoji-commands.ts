import { UniqueConstraintError } from 'sequelize';
import { recordAudit } from '../../shared/audit.js';
import type { Row } from '../../shared/db/models/index.js';
import { ApiError, ConflictError, NotFoundError, ValidationError } from '../../shared/errors.js';
import { rooms } from '../../shared/events/index.js';
import { Permission, ServerPolicy } from '../../shared/permissions/index.js';
import { presentEmoji, type EmojiObject } from '../../shared/presenters/emoji.js';
import type { Runtime } from '../../shared/runtime.js';
import { decodeSnowflake } from '../../shared/snowflake.js';
import {
  squareRenditions,
  storeRenditions,
  type PictureLimits,
  type UploadedPicture,
} from '../media/images.js';

/** Custom emoji limits (Discord's, roughly). */
export const EMOJI_LIMITS: PictureLimits = {
  field: 'image',
  maxBytes: 256 * 1024,
  maxSide: 1024,
  maxFrames: 500,
};
export const EMOJI_SIZE = 128;
export const MAX_EMOJIS_PER_SERVER = 50;
export const EMOJI_NAME = /^[A-Za-z0-9_]{2,32}$/;

const nameTaken = () =>
  new ConflictError('emoji_name_taken', 'This server already has an emoji of that name');

function isUnique(err: unknown): boolean {
  return err instanceof UniqueConstraintError;
}

/** A server's emoji, oldest first. */
async function emojiList(rt: Runtime, serverId: string): Promise<EmojiObject[]> {
  const rows = await rt.models.Emoji.findAll({ where: { server_id: serverId }, order: [['id', 'ASC']] });
  return rows.map((row) => presentEmoji(rt.config, row));
}

/** Tells the server's members the new emoji list (SERVER_EMOJIS_UPDATE). */
async function announce(rt: Runtime, serverId: string): Promise<void> {
  await rt.events.dispatch([rooms.server(serverId)], 'SERVER_EMOJIS_UPDATE', {
    server_id: serverId,
    emojis: await emojiList(rt, serverId),
  });
}

async function findEmoji(rt: Runtime, serverId: string, emojiId: string): Promise<Row<'Emoji'>> {
  const row = await rt.models.Emoji.findOne({ where: { id: emojiId, server_id: serverId } });
  if (!row) throw new NotFoundError('emoji');
  return row;
}

/** GET /servers/{id}/emojis: any member. */
export async function listEmojis(rt: Runtime, serverId: string, userId: string): Promise<EmojiObject[]> {
  await ServerPolicy.load(rt, serverId, userId);
  return emojiList(rt, serverId);
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

/**
 * POST /servers/{id}/emojis: MANAGE_EMOJIS. The picture was read and checked by the route; here it
 * becomes a 128x128 WebP + PNG (animated: animated WebP + GIF), stored, then recorded. The count
 * and name checks run again in the insert's transaction (the server row locked), so two uploads
 * at once cannot pass 50 or share a name.
 */
export async function createEmoji(
  rt: Runtime,
  serverId: string,
  actorId: string,
  name: string | undefined,
  picture: UploadedPicture,
  reason: string | null,
): Promise<EmojiObject> {
  const policy = await ServerPolicy.load(rt, serverId, actorId);
  policy.require(Permission.MANAGE_EMOJIS);
  if (name === undefined || !EMOJI_NAME.test(name)) {
    throw new ValidationError({ name: 'must be 2-32 letters, digits or _' });
  }
  const tooMany = () =>
    new ApiError(400, 'too_many_emojis', `A server may have at most ${MAX_EMOJIS_PER_SERVER} emoji`);
  if ((await rt.models.Emoji.count({ where: { server_id: serverId } })) >= MAX_EMOJIS_PER_SERVER) {
    throw tooMany();
  }
  const renditions = await squareRenditions(picture, EMOJI_SIZE, true);
  const id = rt.snowflake.next();
  const keys = await storeRenditions(rt, `emojis/${id}`, renditions);
  let row: Row<'Emoji'>;
  try {
    row = await rt.sequelize.transaction(async (transaction) => {
      await rt.models.Server.findByPk(serverId, { transaction, lock: transaction.LOCK.UPDATE });
      const count = await rt.models.Emoji.count({ where: { server_id: serverId }, transaction });
      if (count >= MAX_EMOJIS_PER_SERVER) throw tooMany();
      const created = await rt.models.Emoji.create(
        {
          id,
          server_id: serverId,
          name,
          animated: renditions.animated,
          creator_id: actorId,
          webp_key: keys.webpKey,
          fallback_key: keys.fallbackKey,
          created_at: new Date(decodeSnowflake(id).timestampMs),
        },
        { transaction },
      );
      await recordAudit(
        rt,
        {
          serverId,
          actorId,
          action: 'emoji_create',
          targetType: 'emoji',
          targetId: id,
          changes: [
            { key: 'name', new: name },
            { key: 'animated', new: renditions.animated },
            // What was uploaded, so moderators can see who put which file up.
            { key: 'upload', new: uploadFacts(picture) },
          ],
          reason,
        },
        transaction,
      );
      return created;
    });
  } catch (err) {
    await rt.storage.delete(keys.webpKey).catch(() => undefined);
    await rt.storage.delete(keys.fallbackKey).catch(() => undefined);
    throw isUnique(err) ? nameTaken() : err;
  }
  await announce(rt, serverId);
  return presentEmoji(rt.config, row);
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

/** PATCH /servers/{id}/emojis/{emoji_id} `{name}`: MANAGE_EMOJIS. */
export async function renameEmoji(
  rt: Runtime,
  serverId: string,
  emojiId: string,
  actorId: string,
  name: string,
  reason: string | null,
): Promise<EmojiObject> {
  const policy = await ServerPolicy.load(rt, serverId, actorId);
  policy.require(Permission.MANAGE_EMOJIS);
  const row = await findEmoji(rt, serverId, emojiId);
  if (row.name === name) return presentEmoji(rt.config, row);
  const old = row.name;
  try {
    await rt.sequelize.transaction(async (transaction) => {
      row.name = name;
      await row.save({ transaction });
      await recordAudit(
        rt,
        {
          serverId,
          actorId,
          action: 'emoji_update',
          targetType: 'emoji',
          targetId: emojiId,
          changes: [{ key: 'name', old, new: name }],
          reason,
        },
        transaction,
      );
    });
  } catch (err) {
    throw isUnique(err) ? nameTaken() : err;
  }
  await announce(rt, serverId);
  return presentEmoji(rt.config, row);
}

/**
 * DELETE /servers/{id}/emojis/{emoji_id}: MANAGE_EMOJIS. The files go too; reactions with the
 * emoji stay (as Discord's do) and messages that used it keep their rendered HTML.
 */
export async function deleteEmoji(
  rt: Runtime,
  serverId: string,
  emojiId: string,
  actorId: string,
  reason: string | null,
): Promise<void> {
  const policy = await ServerPolicy.load(rt, serverId, actorId);
  policy.require(Permission.MANAGE_EMOJIS);
  const row = await findEmoji(rt, serverId, emojiId);
  const deleted = await rt.sequelize.transaction(async (transaction) => {
    const n = await rt.models.Emoji.destroy({ where: { id: emojiId, server_id: serverId }, transaction });
    if (n === 0) return false;
    await recordAudit(
      rt,
      {
        serverId,
        actorId,
        action: 'emoji_delete',
        targetType: 'emoji',
        targetId: emojiId,
        changes: [{ key: 'name', old: row.name }],
        reason,
      },
      transaction,
    );
    return true;
  });
  if (!deleted) throw new NotFoundError('emoji');
  for (const key of [row.webp_key, row.fallback_key]) {
    await rt.storage.delete(key).catch((err: unknown) => {
      rt.logger.warn({ err: (err as Error).message, key }, 'could not delete emoji file');
    });
  }
  await announce(rt, serverId);
}

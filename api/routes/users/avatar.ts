import { setAvatar } from '../../../shared/domain/users/avatar.js';
import type { Runtime } from '../../../shared/runtime.js';
import { storedMediaUrl } from '../../../shared/storage/urls.js';
import {
  deleteRenditions,
  readPictureUpload,
  squareRenditions,
  storeRenditions,
  type PictureLimits,
  type UploadedPicture,
} from '../../media/images.js';
import { selfUserObject } from '../common-schemas.js';
import { defineRoute, type AnyRoute } from '../route.js';
import Joi from 'joi';

/** Avatar and server icon uploads: bigger than emoji, shown at most a few hundred pixels wide. */
export const PROFILE_PICTURE_LIMITS: PictureLimits = {
  field: 'image',
  maxBytes: 4 * 1024 * 1024,
  maxSide: 4096,
  maxFrames: 1000,
};
export const AVATAR_SIZE = 256;

const avatarForm = Joi.object({
  image: Joi.binary().required().description('PNG, JPEG, WebP or GIF; at most 4 MiB and 4096x4096'),
});

/**
 * Makes `picture` the user's avatar: fitted into a square, stored as WebP and PNG, `avatar_url`
 * pointed at the WebP (USER_UPDATE to their connections); the stored files go if that fails.
 */
export async function storeAvatar(
  rt: Runtime,
  userId: string,
  picture: UploadedPicture,
): ReturnType<typeof setAvatar> {
  const renditions = await squareRenditions(picture, AVATAR_SIZE, false);
  const keys = await storeRenditions(rt, `avatars/${userId}/${rt.snowflake.next()}`, renditions);
  const url = storedMediaUrl(rt.config, keys.webpKey);
  let self: Awaited<ReturnType<typeof setAvatar>>;
  try {
    self = await setAvatar(rt, userId, url);
  } catch (err) {
    await deleteRenditions(rt, url, `avatars/${userId}/`);
    throw err;
  }
  // Avatars belong to no server, so no audit log holds them; the log line is their trace.
  rt.logger.info(
    {
      user: userId,
      size: picture.data.length,
      type: picture.mime,
      width: picture.width,
      height: picture.height,
    },
    'avatar uploaded',
  );
  return self;
}

/** PATCH/DELETE /users/@me/avatar. */
export function avatarRoutes(rt: Runtime): AnyRoute[] {
  return [
    defineRoute({
      method: 'patch',
      path: '/users/@me/avatar',
      access: 'user',
      summary: 'Upload the caller’s avatar',
      description:
        'multipart/form-data with one image file (PNG, JPEG, WebP or GIF, sniffed from the bytes: else 415; at ' +
        'most 4 MiB: 413; at most 4096x4096 pixels: 413 `image_too_large`; errors name the field `image`). It ' +
        `is fitted into a ${AVATAR_SIZE}x${AVATAR_SIZE} square (transparent bars) and stored as WebP and PNG; ` +
        '`avatar_url` becomes the WebP’s URL (the PNG is at the same URL ending in `.png`). Animated pictures ' +
        'keep their first frame only. The previous uploaded avatar’s files are deleted. The caller’s ' +
        'connections receive `USER_UPDATE`.',
      tags: ['Users'],
      multipart: { fields: avatarForm },
      responses: {
        200: { description: 'The updated user', schema: selfUserObject },
        400: { description: 'No image, or an unreadable one' },
        413: { description: 'Over 4 MiB, or over 4096x4096 pixels' },
        415: { description: 'Not PNG, JPEG, WebP or GIF' },
      },
      handler: async ({ auth, req }) => {
        return storeAvatar(rt, auth.user.id, await readPictureUpload(rt, req, PROFILE_PICTURE_LIMITS));
      },
    }),
    defineRoute({
      method: 'delete',
      path: '/users/@me/avatar',
      access: 'user',
      summary: 'Remove the caller’s avatar',
      description:
        '`avatar_url` becomes null and an uploaded avatar’s files are deleted. The caller’s connections receive ' +
        '`USER_UPDATE`.',
      tags: ['Users'],
      status: 204,
      responses: { 204: { description: 'Removed (or there was none)' } },
      handler: async ({ auth }) => {
        await setAvatar(rt, auth.user.id, null);
      },
    }),
  ];
}

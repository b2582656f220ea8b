import { setServerIcon } from '../../../shared/domain/servers/servers.js';
import { Permission, ServerPolicy } from '../../../shared/permissions/index.js';
import type { ServerObject } from '../../../shared/presenters/types.js';
import type { Runtime } from '../../../shared/runtime.js';
import { storedMediaUrl } from '../../../shared/storage/urls.js';
import {
  deleteRenditions,
  readPictureUpload,
  squareRenditions,
  storeRenditions,
  type UploadedPicture,
} from '../../media/images.js';
import { uploadFacts } from '../../servers/emoji-commands.js';
import { auditReason } from '../audit-reason.js';
import { defineRoute, type AnyRoute } from '../route.js';
import { PROFILE_PICTURE_LIMITS } from '../users/avatar.js';
import { serverIdParams, serverObject } from './schema.js';
import Joi from 'joi';

export const ICON_SIZE = 512;

type ServerParams = { server_id: string };

/**
 * Sets (a new upload) or clears (null) the icon through the servers domain (which deletes the files
 * of the icon it replaced).
 */
async function setIcon(
  rt: Runtime,
  serverId: string,
  actorId: string,
  upload: { url: string; picture: UploadedPicture } | null,
  reason: string | null,
): Promise<ServerObject> {
  return setServerIcon(rt, {
    serverId,
    actorId,
    upload: upload && { url: upload.url, facts: uploadFacts(upload.picture) },
    reason,
  });
}

/** PATCH/DELETE /servers/{server_id}/icon. */
export function serverIconRoutes(rt: Runtime): AnyRoute[] {
  return [
    defineRoute<ServerParams>({
      method: 'patch',
      path: '/servers/{server_id}/icon',
      access: 'user',
      summary: 'Upload a server’s icon',
      description:
        'Needs MANAGE_SERVER. multipart/form-data with one image file (PNG, JPEG, WebP or GIF, sniffed: else 415; ' +
        'at most 4 MiB: 413; at most 4096x4096 pixels: 413 `image_too_large`; errors name the field `image`). ' +
        `Fitted into a ${ICON_SIZE}x${ICON_SIZE} square (transparent bars), stored as WebP and PNG (same URL ` +
        'ending in `.png`); `icon_url` becomes the WebP’s URL. Animated pictures keep their first frame. The ' +
        'previous uploaded icon’s files are deleted. Audited as `server_update` (`icon_url`, and ' +
        '`icon_upload` with the upload’s size, type and dimensions); members receive `SERVER_UPDATE`.',
      tags: ['Servers'],
      params: serverIdParams,
      multipart: {
        fields: Joi.object({
          image: Joi.binary().required().description('PNG, JPEG, WebP or GIF; at most 4 MiB and 4096x4096'),
        }),
      },
      responses: {
        200: { description: 'The updated server', schema: serverObject },
        400: { description: 'No image, or an unreadable one' },
        403: { description: '`missing_permission` (MANAGE_SERVER)' },
        404: { description: '`unknown_server`' },
        413: { description: 'Over 4 MiB, or over 4096x4096 pixels' },
        415: { description: 'Not PNG, JPEG, WebP or GIF' },
      },
      handler: async ({ auth, params, req }) => {
        // Checked before the upload is read as well: nobody else's bytes get decoded and stored.
        const policy = await ServerPolicy.load(rt, params.server_id, auth.user.id);
        policy.require(Permission.MANAGE_SERVER);
        const picture = await readPictureUpload(rt, req, PROFILE_PICTURE_LIMITS);
        const renditions = await squareRenditions(picture, ICON_SIZE, false);
        const prefix = `icons/${params.server_id}/`;
        const keys = await storeRenditions(rt, `${prefix}${rt.snowflake.next()}`, renditions);
        const url = storedMediaUrl(rt.config, keys.webpKey);
        try {
          return await setIcon(rt, params.server_id, auth.user.id, { url, picture }, auditReason(req));
        } catch (err) {
          await deleteRenditions(rt, url, prefix);
          throw err;
        }
      },
    }),
    defineRoute<ServerParams>({
      method: 'delete',
      path: '/servers/{server_id}/icon',
      access: 'user',
      summary: 'Remove a server’s icon',
      description:
        'Needs MANAGE_SERVER. `icon_url` becomes null; an uploaded icon’s files are deleted. Audited as ' +
        '`server_update`; members receive `SERVER_UPDATE`.',
      tags: ['Servers'],
      params: serverIdParams,
      responses: {
        200: { description: 'The updated server', schema: serverObject },
        403: { description: '`missing_permission` (MANAGE_SERVER)' },
        404: { description: '`unknown_server`' },
      },
      handler: ({ auth, params, req }) => setIcon(rt, params.server_id, auth.user.id, null, auditReason(req)),
    }),
  ];
}

import Joi from 'joi';
import { Permission, ServerPolicy } from '../../../shared/permissions/index.js';
import type { Runtime } from '../../../shared/runtime.js';
import {
  decodeDataUri,
  inspectPicture,
  readPictureUpload,
  type UploadedPicture,
} from '../../media/images.js';
import { createEmoji } from '../../../shared/domain/emoji/create.js';
import { deleteEmoji } from '../../../shared/domain/emoji/delete.js';
import { renameEmoji } from '../../../shared/domain/emoji/rename.js';
import {
  EMOJI_LIMITS,
  EMOJI_SIZE,
  MAX_EMOJIS_PER_SERVER,
  emojiUpload,
  getEmoji,
  listEmojis,
} from '../../servers/emoji-commands.js';
import { auditReason } from '../audit-reason.js';
import { defineRoute, type AnyRoute } from '../route.js';
import { serverIdParams } from '../servers/schema.js';
import { createEmojiJsonBody, emojiForm, emojiObject, emojiParams, patchEmojiBody } from './schema.js';

type ServerParams = { server_id: string };
type EmojiParams = ServerParams & { emoji_id: string };

const EVENT_NOTE =
  'Members receive `SERVER_EMOJIS_UPDATE` `{server_id, emojis}` with the whole new list (Discord style).';

/** GET/POST /servers/{server_id}/emojis, GET/PATCH/DELETE /servers/{server_id}/emojis/{emoji_id}. */
export function emojiRoutes(rt: Runtime): AnyRoute[] {
  return [
    defineRoute<ServerParams>({
      method: 'get',
      path: '/servers/{server_id}/emojis',
      access: 'user',
      summary: 'A server’s custom emoji',
      description: 'Any member; oldest first.',
      tags: ['Emoji'],
      params: serverIdParams,
      responses: {
        200: { description: 'The emoji', schema: Joi.array().items(emojiObject) },
        404: { description: '`unknown_server`' },
      },
      handler: ({ auth, params }) => listEmojis(rt, params.server_id, auth.user.id),
    }),
    defineRoute<EmojiParams>({
      method: 'get',
      path: '/servers/{server_id}/emojis/{emoji_id}',
      access: 'user',
      summary: 'One custom emoji',
      tags: ['Emoji'],
      params: emojiParams,
      responses: {
        200: { description: 'The emoji', schema: emojiObject },
        404: { description: '`unknown_server` or `unknown_emoji`' },
      },
      handler: ({ auth, params }) => getEmoji(rt, params.server_id, params.emoji_id, auth.user.id),
    }),
    defineRoute<ServerParams, Record<string, never>, { name: string; image: string } | undefined>({
      method: 'post',
      path: '/servers/{server_id}/emojis',
      access: 'user',
      summary: 'Create a custom emoji',
      description:
        'Needs MANAGE_EMOJIS. multipart/form-data with a `name` field (2-32 letters, digits or _, unique in the ' +
        'server regardless of case: 409 `emoji_name_taken`) and one image file (PNG, JPEG, WebP or GIF, sniffed ' +
        'from the bytes: anything else 415; at most 256 KiB: 413; at most 1024x1024 pixels per frame: 413 ' +
        '`image_too_large`; errors name the field `image`). The picture is fitted into a ' +
        `${EMOJI_SIZE}x${EMOJI_SIZE} square (transparent bars) and stored as WebP (\`url\`) and PNG ` +
        '(`fallback_url`); an animated GIF or WebP stays animated (animated WebP + animated GIF) and gets ' +
        `\`animated: true\`. A server holds at most ${MAX_EMOJIS_PER_SERVER} emoji (400 \`too_many_emojis\`). ` +
        'Recorded in the audit log (`emoji_create`, with the upload’s size, type and dimensions in `changes`; ' +
        'reason from `X-Audit-Log-Reason`). Also accepts JSON `{name, image}` with the image as a ' +
        '`data:image/<type>;base64,...` URI (Discord’s form), with the same checks. ' +
        EVENT_NOTE,
      tags: ['Emoji'],
      status: 201,
      params: serverIdParams,
      body: createEmojiJsonBody,
      multipart: { fields: emojiForm },
      responses: {
        201: { description: 'The new emoji', schema: emojiObject },
        400: { description: 'Bad `name` or `image`, or `too_many_emojis`' },
        403: { description: '`missing_permission` (MANAGE_EMOJIS)' },
        404: { description: '`unknown_server`' },
        409: { description: '`emoji_name_taken`' },
        413: { description: 'The file is over 256 KiB, or over 1024x1024 pixels' },
        415: { description: 'Not PNG, JPEG, WebP or GIF' },
      },
      handler: async ({ auth, params, body, req }) => {
        // Refuse before reading (and decoding) anything of someone who may not add emoji.
        const policy = await ServerPolicy.load(rt, params.server_id, auth.user.id);
        policy.require(Permission.MANAGE_EMOJIS);
        let picture: UploadedPicture;
        let name: string | undefined;
        if (body) {
          const data = decodeDataUri(body.image, EMOJI_LIMITS);
          picture = { ...(await inspectPicture(rt, data, EMOJI_LIMITS)), fields: {} };
          name = body.name;
        } else {
          picture = await readPictureUpload(rt, req, EMOJI_LIMITS);
          name = picture.fields.name;
        }
        return createEmoji(
          rt,
          params.server_id,
          auth.user.id,
          name,
          emojiUpload(rt, picture),
          auditReason(req),
        );
      },
    }),
    defineRoute<EmojiParams, Record<string, never>, { name: string }>({
      method: 'patch',
      path: '/servers/{server_id}/emojis/{emoji_id}',
      access: 'user',
      summary: 'Rename a custom emoji',
      description:
        'Needs MANAGE_EMOJIS. Messages already sent keep the name they were written with. Audited as ' +
        '`emoji_update`. ' +
        EVENT_NOTE,
      tags: ['Emoji'],
      params: emojiParams,
      body: patchEmojiBody,
      responses: {
        200: { description: 'The renamed emoji', schema: emojiObject },
        400: { description: 'Bad `name`' },
        403: { description: '`missing_permission` (MANAGE_EMOJIS)' },
        404: { description: '`unknown_server` or `unknown_emoji`' },
        409: { description: '`emoji_name_taken`' },
      },
      handler: ({ auth, params, body, req }) =>
        renameEmoji(rt, params.server_id, params.emoji_id, auth.user.id, body.name, auditReason(req)),
    }),
    defineRoute<EmojiParams>({
      method: 'delete',
      path: '/servers/{server_id}/emojis/{emoji_id}',
      access: 'user',
      summary: 'Delete a custom emoji',
      description:
        'Needs MANAGE_EMOJIS. Its files are deleted; reactions with it stay, and new reactions with it get 404 ' +
        '`unknown_emoji`. Audited as `emoji_delete`. ' +
        EVENT_NOTE,
      tags: ['Emoji'],
      status: 204,
      params: emojiParams,
      responses: {
        204: { description: 'Deleted' },
        403: { description: '`missing_permission` (MANAGE_EMOJIS)' },
        404: { description: '`unknown_server` or `unknown_emoji`' },
      },
      handler: ({ auth, params, req }) =>
        deleteEmoji(rt, params.server_id, params.emoji_id, auth.user.id, auditReason(req)),
    }),
  ];
}

import Joi from 'joi';
import { ApiError, ValidationError } from '../../../shared/errors.js';
import { presentAttachment } from '../../../shared/presenters/attachment.js';
import type { Runtime } from '../../../shared/runtime.js';
import { receiveUploads } from '../../media/receive.js';
import { defineRoute, type AnyRoute } from '../route.js';

/** An attachment object as the API documents it. */
export const attachmentObject = Joi.object({
  id: Joi.string().required(),
  filename: Joi.string().required(),
  content_type: Joi.string().required(),
  size: Joi.number().integer().required(),
  url: Joi.string().required(),
  width: Joi.number().integer(),
  height: Joi.number().integer(),
  thumbnail_url: Joi.string(),
  color: Joi.string(),
  frames: Joi.number().integer(),
  duration_seconds: Joi.number(),
  codec: Joi.string(),
}).meta({ className: 'Attachment' });

/** POST /attachments: upload files now, attach them to a message later (by id). */
export function attachmentRoutes(rt: Runtime): AnyRoute[] {
  return [
    defineRoute({
      method: 'post',
      path: '/attachments',
      access: 'user',
      summary: 'Upload files',
      description:
        'multipart/form-data with one or more file parts (any field name). Each file is streamed to storage; its ' +
        'type is sniffed from its bytes (the declared type and the extension are not trusted: a mismatching name ' +
        'gets the real extension), forbidden types are refused (415), and images over `media.max_image_pixels` ' +
        'are refused (413 `image_too_large`). A file over `media.max_file_bytes`, or files over ' +
        "`media.max_request_bytes` in all, get 413; so do uploads that would take the caller's unsent uploads past " +
        '`media.max_pending_bytes` (413 `pending_uploads_limit`, with `limit_bytes` and `pending_bytes`). Send the attachments’ ids in a ' +
        "message's `attachments` (needs ATTACH_FILES in that channel). Metadata (dimensions, thumbnail, color) " +
        'arrives shortly after, through the media worker; unsent uploads are deleted after a day. One file ' +
        'answers its attachment object (API.md); several answer an array of them, in the order sent.',
      tags: ['Media'],
      status: 201,
      multipart: {
        fields: Joi.object({ files: Joi.array().items(Joi.binary()).description('one or more files') }),
      },
      responses: {
        201: {
          description: 'The stored file (an array of them when several were sent)',
          schema: Joi.alternatives().try(attachmentObject, Joi.array().items(attachmentObject).min(2)),
        },
        400: { description: 'No file (`errors.files`)' },
        413: { description: 'Too large (bytes or pixels), or past the pending upload limit' },
        415: { description: 'A forbidden file type, or a request that is not multipart/form-data' },
      },
      handler: async ({ req, auth }) => {
        if (typeof req.is('multipart/form-data') !== 'string') {
          // API.md's status for a media type a route does not take; `errors` still names the part.
          throw new ApiError(
            415,
            'unsupported_media_type',
            'POST /attachments takes multipart/form-data with one or more files',
            { body: 'must be multipart/form-data with files' },
          );
        }
        return receiveUploads(rt, req, auth.user.id, (_fields, stored) => {
          if (stored.length === 0) throw new ValidationError({ files: 'at least one file is required' });
          const attachments = stored.map((row) => presentAttachment(rt.config, row));
          // API.md: an upload answers the attachment; sending several at once is our extension.
          return attachments.length === 1 ? attachments[0] : attachments;
        });
      },
    }),
  ];
}

import type { Request, Response } from 'express';
import {
  ApiError,
  MissingPermissionError,
  PayloadTooLargeError,
  ValidationError,
} from '../../shared/errors.js';
import { Permission, has } from '../../shared/permissions/index.js';
import type { Runtime } from '../../shared/runtime.js';
import type { Row } from '../../shared/db/models/index.js';
import { deleteUpload } from '../../shared/storage/uploads.js';
import { readMultipart } from '../media/multipart.js';
import { storeUpload, uploadLimits } from '../media/upload.js';
import { validatePart } from '../middleware/validate.js';
import { sendBody } from '../routes/messages/schema.js';

/** A send's body, from JSON or from a multipart form. */
export interface SendInput {
  content?: string;
  nonce?: string;
  reply_to?: string;
  attachments?: string[];
}

/**
 * Checks the uploads a message wants to carry: ATTACH_FILES in the channel, every id the caller's
 * own upload not yet in a message (else 400 naming `attachments`), within the count and size
 * limits. Returns the ids in the order given.
 */
export async function checkAttachments(
  rt: Runtime,
  permissions: bigint,
  userId: string,
  ids: string[],
): Promise<string[]> {
  if (ids.length === 0) return [];
  if (!has(permissions, Permission.ATTACH_FILES)) throw new MissingPermissionError('ATTACH_FILES');
  if (ids.length > rt.config.media.max_files) {
    throw new ValidationError({ attachments: `at most ${rt.config.media.max_files} files` });
  }
  const rows = await rt.models.Attachment.findAll({
    where: { id: ids, uploader_id: userId, message_id: null },
  });
  const found = new Set(rows.map((r) => r.id));
  const missing = ids.filter((id) => !found.has(id));
  if (missing.length > 0) {
    throw new ValidationError({ attachments: `unknown, not yours, or already sent: ${missing.join(', ')}` });
  }
  const total = rows.reduce((sum, r) => sum + r.size, 0);
  if (total > rt.config.media.max_request_bytes)
    throw new PayloadTooLargeError(rt.config.media.max_request_bytes);
  return ids;
}

/**
 * A multipart send: `payload_json` (the JSON body as a string) or plain `content`/`nonce`/`reply_to`
 * fields, plus files, each stored as it streams in (the caller checked ATTACH_FILES). A refused
 * request leaves no stored file behind.
 */
export async function receiveMultipartSend(
  rt: Runtime,
  req: Request,
  res: Response,
  userId: string,
): Promise<SendInput> {
  const stored: Row<'Attachment'>[] = [];
  try {
    const fields = await readMultipart(req, uploadLimits(rt), async (file) => {
      stored.push(await storeUpload(rt, userId, file));
    });
    let raw: Record<string, unknown>;
    if (fields.payload_json !== undefined) {
      try {
        raw = JSON.parse(fields.payload_json) as Record<string, unknown>;
      } catch {
        throw new ApiError(400, 'malformed_json', 'payload_json is not valid JSON', {
          payload_json: 'not JSON',
        });
      }
    } else {
      raw = { ...fields };
    }
    const ids = [...((raw.attachments as string[] | undefined) ?? []), ...stored.map((r) => r.id)];
    return validatePart(
      sendBody,
      { ...raw, ...(ids.length > 0 ? { attachments: ids } : {}) },
      'body',
    ) as SendInput;
  } catch (err) {
    for (const row of stored) await deleteUpload(rt, row).catch(() => undefined);
    res.setHeader('Connection', 'close');
    throw err;
  }
}

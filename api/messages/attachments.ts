import type { Request } from 'express';
import { MissingPermissionError, PayloadTooLargeError, ValidationError } from '../../shared/errors.js';
import { Permission, has } from '../../shared/permissions/index.js';
import type { Runtime } from '../../shared/runtime.js';
import { formPayload, receiveUploads } from '../media/receive.js';
import { validatePart } from '../middleware/validate.js';
import { sendBody, type RichEmbedInput } from '../routes/messages/schema.js';

/** A send's body, from JSON or from a multipart form. */
export interface SendInput {
  content?: string;
  nonce?: string;
  reply_to?: string;
  attachments?: string[];
  embeds?: RichEmbedInput[];
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
export function receiveMultipartSend(rt: Runtime, req: Request, userId: string): Promise<SendInput> {
  return receiveUploads(rt, req, userId, (fields, stored) => {
    const raw = formPayload(fields);
    const ids = [...((raw.attachments as string[] | undefined) ?? []), ...stored.map((r) => r.id)];
    return validatePart(
      sendBody,
      { ...raw, ...(ids.length > 0 ? { attachments: ids } : {}) },
      'body',
    ) as SendInput;
  });
}

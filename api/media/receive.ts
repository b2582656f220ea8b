import type { Request } from 'express';
import type { Row } from '../../shared/db/models/index.js';
import { ApiError, PayloadTooLargeError, PendingUploadsLimitError } from '../../shared/errors.js';
import type { Runtime } from '../../shared/runtime.js';
import { deleteUpload } from '../../shared/storage/uploads.js';
import { readMultipart } from './multipart.js';
import { storeUpload, uploadLimits } from './upload.js';

/**
 * Reads a multipart request whose files are uploads of `uploaderId`, storing each as it streams
 * in, then lets `accept` check the text fields and the stored files. All or nothing: if reading,
 * storing or `accept` fails, the files already stored are deleted (what the refused request may
 * still be sending is the error handler's to settle).
 */
export async function receiveUploads<T>(
  rt: Runtime,
  req: Request,
  uploaderId: string,
  accept: (fields: Record<string, string>, stored: Row<'Attachment'>[]) => T,
): Promise<T> {
  const stored: Row<'Attachment'>[] = [];
  const cap = rt.config.media.max_pending_bytes;
  try {
    const pending = await pendingUploadBytes(rt, uploaderId);
    if (pending >= cap) throw new PendingUploadsLimitError(cap, pending);
    const limits = uploadLimits(rt);
    const room = cap - pending;
    let fields: Record<string, string>;
    try {
      fields = await readMultipart(
        req,
        { ...limits, maxRequestBytes: Math.min(limits.maxRequestBytes, room) },
        async (file) => {
          stored.push(await storeUpload(rt, uploaderId, file));
        },
      );
    } catch (err) {
      // Past what is left under the pending cap (not the request limit): say which limit it was.
      if (
        err instanceof PayloadTooLargeError &&
        room < limits.maxRequestBytes &&
        err.extra?.limit_bytes === room
      ) {
        throw new PendingUploadsLimitError(cap, pending);
      }
      throw err;
    }
    // Requests running side by side each saw only the others' finished uploads: recount with ours.
    const after = await pendingUploadBytes(rt, uploaderId);
    if (after > cap)
      throw new PendingUploadsLimitError(cap, after - stored.reduce((sum, r) => sum + r.size, 0));
    return accept(fields, stored);
  } catch (err) {
    for (const row of stored) await deleteUpload(rt, row).catch(() => undefined);
    throw err;
  }
}

/** Bytes of `userId`'s uploads that no sent message holds yet (media.max_pending_bytes counts these). */
export async function pendingUploadBytes(rt: Runtime, userId: string): Promise<number> {
  const total = await rt.models.Attachment.sum('size', {
    where: { uploader_id: userId, message_id: null, channel_id: null },
  });
  return Number(total ?? 0);
}

/** The JSON body of a multipart request: its `payload_json` part, else its plain text fields. */
export function formPayload(fields: Record<string, string>): Record<string, unknown> {
  if (fields.payload_json === undefined) return { ...fields };
  try {
    return JSON.parse(fields.payload_json) as Record<string, unknown>;
  } catch {
    throw new ApiError(400, 'malformed_json', 'payload_json is not valid JSON', { payload_json: 'not JSON' });
  }
}

import type { Request, Response } from 'express';
import type { Row } from '../../shared/db/models/index.js';
import { ApiError } from '../../shared/errors.js';
import type { Runtime } from '../../shared/runtime.js';
import { deleteUpload } from '../../shared/storage/uploads.js';
import { readMultipart } from './multipart.js';
import { storeUpload, uploadLimits } from './upload.js';

/**
 * Reads a multipart request whose files are uploads of `uploaderId`, storing each as it streams
 * in, then lets `accept` check the text fields and the stored files. All or nothing: if reading,
 * storing or `accept` fails, the files already stored are deleted, and the connection is closed
 * after the answer (a refused request may still be sending).
 */
export async function receiveUploads<T>(
  rt: Runtime,
  req: Request,
  res: Response,
  uploaderId: string,
  accept: (fields: Record<string, string>, stored: Row<'Attachment'>[]) => T,
): Promise<T> {
  const stored: Row<'Attachment'>[] = [];
  try {
    const fields = await readMultipart(req, uploadLimits(rt), async (file) => {
      stored.push(await storeUpload(rt, uploaderId, file));
    });
    return accept(fields, stored);
  } catch (err) {
    for (const row of stored) await deleteUpload(rt, row).catch(() => undefined);
    res.setHeader('Connection', 'close');
    throw err;
  }
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

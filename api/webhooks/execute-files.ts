import type { Request, Response } from 'express';
import type { Row } from '../../shared/db/models/index.js';
import { ApiError } from '../../shared/errors.js';
import type { Runtime } from '../../shared/runtime.js';
import { deleteUpload } from '../../shared/storage/uploads.js';
import { readMultipart } from '../media/multipart.js';
import { storeUpload, uploadLimits } from '../media/upload.js';
import { validatePart } from '../middleware/validate.js';
import { executeBody, executeWithFilesBody } from '../routes/webhooks/schema.js';
import type { ExecuteInput } from './execute.js';

/**
 * A multipart execution: the files are stored as they stream in (under the webhook's creator, who
 * stands as the message's author) and only they are attached: `payload_json` cannot name other
 * uploads. A refused request keeps no file.
 */
export async function receiveWebhookFiles(
  rt: Runtime,
  req: Request,
  res: Response,
  webhook: Row<'Webhook'>,
): Promise<{ input: ExecuteInput; attachments: string[] }> {
  const stored: Row<'Attachment'>[] = [];
  try {
    const fields = await readMultipart(req, uploadLimits(rt), async (file) => {
      stored.push(await storeUpload(rt, webhook.creator_id, file));
    });
    let raw: unknown = {};
    if (fields.payload_json !== undefined) {
      try {
        raw = JSON.parse(fields.payload_json);
      } catch {
        throw new ApiError(400, 'malformed_json', 'payload_json is not valid JSON', {
          payload_json: 'not JSON',
        });
      }
    } else {
      raw = { ...fields };
    }
    const schema = stored.length > 0 ? executeWithFilesBody : executeBody;
    const input = validatePart(schema, raw, 'body') as ExecuteInput;
    return { input, attachments: stored.map((r) => r.id) };
  } catch (err) {
    for (const row of stored) await deleteUpload(rt, row).catch(() => undefined);
    res.setHeader('Connection', 'close');
    throw err;
  }
}

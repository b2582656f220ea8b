import type { Request } from 'express';
import type { Row } from '../../shared/db/models/index.js';
import type { Runtime } from '../../shared/runtime.js';
import { formPayload, receiveUploads } from '../media/receive.js';
import { validatePart } from '../middleware/validate.js';
import { executeBody, executeWithFilesBody } from '../routes/webhooks/schema.js';
import type { ExecuteInput } from '../../shared/domain/webhooks/execute.js';

/**
 * A multipart execution: the files are stored as they stream in (under the webhook's creator, who
 * stands as the message's author) and only they are attached: `payload_json` cannot name other
 * uploads. A refused request keeps no file.
 */
export function receiveWebhookFiles(
  rt: Runtime,
  req: Request,
  webhook: Row<'Webhook'>,
): Promise<{ input: ExecuteInput; attachments: string[] }> {
  return receiveUploads(rt, req, webhook.creator_id, (fields, stored) => {
    const schema = stored.length > 0 ? executeWithFilesBody : executeBody;
    const input = validatePart(schema, formPayload(fields), 'body') as ExecuteInput;
    return { input, attachments: stored.map((r) => r.id) };
  });
}

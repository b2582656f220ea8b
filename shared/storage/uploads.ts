import type { Row } from '../db/models/index.js';
import type { Runtime } from '../runtime.js';

/** Removes an unsent upload's files and its row (one a message took meanwhile is kept). */
export async function deleteUpload(
  rt: Pick<Runtime, 'models' | 'storage'>,
  row: Row<'Attachment'>,
): Promise<void> {
  const removed = await rt.models.Attachment.destroy({ where: { id: row.id, message_id: null } });
  if (removed === 0) return;
  await rt.storage.delete(row.storage_key);
  if (row.metadata.thumbnail_key) await rt.storage.delete(row.metadata.thumbnail_key);
}

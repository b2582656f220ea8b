import type { Config } from '../config/index.js';
import type { Row } from '../db/models/index.js';
import { mediaUrl } from '../storage/urls.js';
import type { AttachmentObject } from './types.js';

/** An attachment as clients see it (and as a message's `attachments` column stores it). */
export function presentAttachment(config: Pick<Config, 'server'>, row: Row<'Attachment'>): AttachmentObject {
  const out: AttachmentObject = {
    id: row.id,
    filename: row.filename,
    content_type: row.content_type,
    size: row.size,
    url: mediaUrl(config, row.storage_key),
  };
  if (row.width !== null) out.width = row.width;
  if (row.height !== null) out.height = row.height;
  const meta = row.metadata;
  if (meta.thumbnail_key) out.thumbnail_url = mediaUrl(config, meta.thumbnail_key);
  if (meta.color) out.color = meta.color;
  if (meta.frames && meta.frames > 1) out.frames = meta.frames;
  if (row.duration_seconds !== null) out.duration_seconds = row.duration_seconds;
  if (meta.codec) out.codec = meta.codec;
  return out;
}

import type { Config } from '../config/index.js';
import type { Row } from '../db/models/index.js';
import { absoluteUrl } from '../config/public-base.js';
import { storedMediaUrl } from '../storage/urls.js';
import type { AttachmentObject } from './types.js';

/** An attachment as clients see it: its URLs absolute (POST /attachments; in messages: resolveAttachment). */
export function presentAttachment(config: Pick<Config, 'server'>, row: Row<'Attachment'>): AttachmentObject {
  return resolveAttachment(config, storedAttachment(config, row));
}

/**
 * An attachment as a message's `attachments` column stores it: its URLs in stored form
 * (storedMediaUrl), so no listening address is frozen into the row.
 */
export function storedAttachment(config: Pick<Config, 'server'>, row: Row<'Attachment'>): AttachmentObject {
  const out: AttachmentObject = {
    id: row.id,
    filename: row.filename,
    content_type: row.content_type,
    size: row.size,
    url: storedMediaUrl(config, row.storage_key),
  };
  if (row.width !== null) out.width = row.width;
  if (row.height !== null) out.height = row.height;
  const meta = row.metadata;
  if (meta.thumbnail_key) out.thumbnail_url = storedMediaUrl(config, meta.thumbnail_key);
  if (meta.color) out.color = meta.color;
  if (meta.frames && meta.frames > 1) out.frames = meta.frames;
  if (row.duration_seconds !== null) out.duration_seconds = row.duration_seconds;
  if (meta.codec) out.codec = meta.codec;
  return out;
}

/** A stored attachment (storedAttachment) as handed out: its URLs absolute (absoluteUrl). */
export function resolveAttachment(
  config: Pick<Config, 'server'>,
  stored: AttachmentObject,
): AttachmentObject {
  const out = { ...stored, url: absoluteUrl(config, stored.url) };
  if (stored.thumbnail_url !== undefined) out.thumbnail_url = absoluteUrl(config, stored.thumbnail_url);
  return out;
}

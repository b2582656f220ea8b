import type { Row } from '../../db/models/index.js';
import { rooms } from '../../events/index.js';
import { runCommand } from '../../outbox/index.js';
import type { Runtime } from '../../runtime.js';
import { decodeSnowflake } from '../../snowflake.js';

/** A file already stored under `storage_key`, as its uploader's attachment `id` is to record it. */
export interface StoredFile {
  id: string;
  filename: string;
  content_type: string;
  size: number;
  storage_key: string;
  /** An image's dimensions when its header told them (the media worker has the last word). */
  width?: number | null;
  height?: number | null;
}

/**
 * Records `uploaderId`'s stored upload as an attachment no message holds yet, with its `inspect`
 * job for the media worker (thumbnails, dimensions, content checks) as an outbox effect: queued
 * once the row is committed, so an upload is never left uninspected by a crash or a Redis outage.
 */
export async function recordUpload(
  rt: Runtime,
  uploaderId: string,
  file: StoredFile,
): Promise<Row<'Attachment'>> {
  return runCommand(rt, rooms.user(uploaderId), async (transaction, fx) => {
    const row = await rt.models.Attachment.create(
      {
        ...file,
        uploader_id: uploaderId,
        created_at: new Date(decodeSnowflake(file.id).timestampMs),
      },
      { transaction },
    );
    fx.job('media', 'inspect', { kind: 'inspect', attachment_id: file.id }, { jobId: `media-${file.id}` });
    return row;
  });
}

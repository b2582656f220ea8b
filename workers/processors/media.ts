import type { Job } from 'bullmq';
import { parseBuffer } from 'music-metadata';
import sharp from 'sharp';
import { QueryTypes } from 'sequelize';
import type { AttachmentMetadata } from '../../shared/db/models/attachment.js';
import type { Row } from '../../shared/db/models/index.js';
import type { JobPayload, JobResult } from '../../shared/queues/index.js';
import type { Runtime } from '../../shared/runtime.js';
import { refreshMessageAttachment } from '../../shared/domain/messages/attachments.js';
import { abandonedFileBatches, deleteFileBatch, deleteListedFiles } from '../../shared/storage/row-files.js';
import { deleteUpload } from '../../shared/storage/uploads.js';

const IMAGES = new Set(['image/jpeg', 'image/png', 'image/webp', 'image/gif', 'image/avif', 'image/tiff']);
/** Formats whose files may carry EXIF/XMP/IPTC (GPS position, camera serials): re-encoded without it. */
const REENCODE: Record<string, 'jpeg' | 'png' | 'webp' | 'avif' | 'tiff'> = {
  'image/jpeg': 'jpeg',
  'image/png': 'png',
  'image/webp': 'webp',
  'image/avif': 'avif',
  'image/tiff': 'tiff',
};

interface Inspection {
  width: number | null;
  height: number | null;
  size: number | null;
  metadata: AttachmentMetadata;
  duration?: number | null;
}

/**
 * The `media` queue: looks at an upload once it is stored. Images (sharp): dimensions, frame count,
 * dominant color, a WebP thumbnail, and EXIF/GPS stripped by re-encoding the stored file (with its
 * orientation applied first). Other files are served as they are. If the attachment is already in
 * a message, the message's copy is updated and MESSAGE_UPDATE emitted. Idempotent: a rerun redoes
 * the same work over the same keys. Also deletes the files of rows a command removed (delete_files, delete_file_batch).
 */
export function createMediaProcessor(rt: Runtime) {
  return async (job: Job<JobPayload<'media'>>): Promise<JobResult<'media'>> => {
    const data = job.data;
    switch (data.kind) {
      case 'sweep_unbound':
        return sweepUnbound(rt);
      case 'inspect':
        return inspect(rt, data.attachment_id);
      case 'delete_files':
        // A failure throws: the job is retried (a file already gone counts as deleted), and its
        // last attempt leaves what it could not delete to the sweep.
        return deleteListedFiles(rt, data.keys, job.attemptsMade + 1 >= (job.opts.attempts ?? 1));
      case 'delete_file_batch':
        return deleteFileBatch(rt, data.batch);
    }
  };
}

/** How long an upload may wait to be sent in a message before the sweep deletes it. */
const UNBOUND_TTL_HOURS = 24;
const SWEEP_EVERY_MS = 60 * 60 * 1000;

/** Registers the hourly sweep of unsent uploads (every worker process may: BullMQ keeps one). */
export async function scheduleUploadSweep(rt: Runtime): Promise<void> {
  await rt.queues.media.upsertJobScheduler(
    'sweep-unbound-uploads',
    { every: SWEEP_EVERY_MS },
    { name: 'sweep_unbound', data: { kind: 'sweep_unbound' } },
  );
}

/**
 * Deletes uploads older than a day that no message took, files first, then rows; and finishes
 * file-deletion batches older than a day (their job failed every attempt, or was lost with Redis).
 */
async function sweepUnbound(rt: Runtime): Promise<number> {
  const abandoned = await abandonedFileBatches(rt, Date.now() - UNBOUND_TTL_HOURS * 3600_000);
  let deleted = 0;
  for (const batch of abandoned) deleted += await deleteFileBatch(rt, batch);
  const stale = await rt.sequelize.query<Row<'Attachment'>>(
    `SELECT * FROM attachments WHERE message_id IS NULL AND created_at < now() - make_interval(hours => $1)
      ORDER BY created_at LIMIT 500`,
    { bind: [UNBOUND_TTL_HOURS], type: QueryTypes.SELECT, model: rt.models.Attachment, mapToModel: true },
  );
  for (const row of stale) await deleteUpload(rt, row);
  return deleted + stale.length;
}

/** Inspects one upload and records what it found. */
async function inspect(rt: Runtime, attachmentId: string): Promise<JobResult<'media'>> {
  const row = await rt.models.Attachment.findByPk(attachmentId);
  if (!row) return 'gone';
  let result: Inspection;
  let status: 'ready' | 'failed' = 'ready';
  try {
    result = IMAGES.has(row.content_type)
      ? await inspectImage(rt, row)
      : /^(audio|video)\//.test(row.content_type)
        ? await inspectAudioVideo(rt, row)
        : { width: null, height: null, size: null, metadata: {} };
  } catch (err) {
    // A file sharp cannot read is still a file: it is served as uploaded, without a preview.
    status = 'failed';
    result = {
      width: null,
      height: null,
      size: null,
      metadata: { error: (err as Error).message.slice(0, 200) },
    };
  }
  const [updated] = await rt.sequelize.query<Row<'Attachment'>>(
    `UPDATE attachments
          SET status = $2, width = $3, height = $4, size = coalesce($5, size), metadata = $6,
              duration_seconds = $7
        WHERE id = $1 RETURNING *`,
    {
      bind: [
        row.id,
        status,
        result.width,
        result.height,
        result.size,
        JSON.stringify(result.metadata),
        result.duration ?? null,
      ],
      type: QueryTypes.SELECT,
      model: rt.models.Attachment,
      mapToModel: true,
    },
  );
  if (updated?.message_id) await refreshMessageAttachment(rt, updated);
  return status;
}

/**
 * Duration and codec of audio and video, read from the container (music-metadata), not decoded.
 * From a buffer (uploads are bounded by media.max_file_bytes): its stream parser can throw outside
 * the returned promise on some inputs, which would take the worker down.
 */
async function inspectAudioVideo(rt: Runtime, row: Row<'Attachment'>): Promise<Inspection> {
  const file = await readStored(rt, row.storage_key);
  const { format } = await parseBuffer(
    file,
    { mimeType: row.content_type, size: file.length },
    { duration: true, skipCovers: true },
  );
  const metadata: AttachmentMetadata = {};
  if (format.codec) metadata.codec = format.codec;
  return { width: null, height: null, size: null, metadata, duration: format.duration ?? null };
}

async function readStored(rt: Runtime, key: string): Promise<Buffer> {
  const opened = await rt.storage.get(key);
  if (!opened) throw new Error('stored file is missing');
  const chunks: Buffer[] = [];
  for await (const chunk of opened.body) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

async function inspectImage(rt: Runtime, row: Row<'Attachment'>): Promise<Inspection> {
  const original = await readStored(rt, row.storage_key);
  const options = { limitInputPixels: rt.config.media.max_image_pixels, animated: true };
  const meta = await sharp(original, options).metadata();
  const frames = meta.pages ?? 1;
  let stored = original;
  let size: number | null = null;
  const format = REENCODE[row.content_type];
  if (format && (meta.exif || meta.xmp || meta.iptc)) {
    // rotate() bakes the EXIF orientation into the pixels, so dropping EXIF keeps it upright.
    stored = await sharp(original, options).rotate().toFormat(format, { quality: 92 }).toBuffer();
    size = (await rt.storage.put(row.storage_key, stored, row.content_type)).size;
  }
  const final = size === null ? meta : await sharp(stored, options).metadata();
  const thumbnailKey = `${row.storage_key.slice(0, row.storage_key.lastIndexOf('/'))}/thumbnail.webp`;
  const side = rt.config.media.thumbnail_size;
  const thumbnail = await sharp(stored, { limitInputPixels: rt.config.media.max_image_pixels })
    .rotate()
    .resize({ width: side, height: side, fit: 'inside', withoutEnlargement: true })
    .webp({ quality: 80 })
    .toBuffer();
  await rt.storage.put(thumbnailKey, thumbnail, 'image/webp');
  const { dominant } = await sharp(stored, { limitInputPixels: rt.config.media.max_image_pixels }).stats();
  const hex = (n: number) => n.toString(16).padStart(2, '0');
  return {
    width: final.width ?? null,
    height: final.pageHeight ?? final.height ?? null,
    size,
    metadata: {
      thumbnail_key: thumbnailKey,
      color: `#${hex(dominant.r)}${hex(dominant.g)}${hex(dominant.b)}`,
      frames,
    },
  };
}

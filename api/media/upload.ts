import { fileTypeFromBuffer } from 'file-type';
import { imageSize } from 'image-size';
import type { Row } from '../../shared/db/models/index.js';
import { recordUpload } from '../../shared/domain/attachments/record.js';
import { ApiError, UnsupportedMediaTypeError } from '../../shared/errors.js';
import type { Runtime } from '../../shared/runtime.js';
import { keySafeName, sanitizeFilename } from './filenames.js';
import type { IncomingFile, MultipartLimits } from './multipart.js';

/** Image types sharp decodes (the media worker makes thumbnails of these). */
export const DECODABLE_IMAGES = new Set([
  'image/jpeg',
  'image/png',
  'image/webp',
  'image/gif',
  'image/avif',
  'image/tiff',
]);

/** The multipart limits of uploads, from config. */
export function uploadLimits(rt: Pick<Runtime, 'config'>): MultipartLimits {
  const m = rt.config.media;
  return {
    maxFileBytes: m.max_file_bytes,
    maxRequestBytes: m.max_request_bytes,
    maxFiles: m.max_files,
    headBytes: 256 * 1024,
  };
}

/**
 * What a file really is: the type sniffed from its bytes (file-type); for what has no signature
 * (text), plain text if the client said text, else octet-stream. Never text/html or SVG from a
 * client's word: those could run script where they are served.
 */
async function realType(file: IncomingFile): Promise<{ mime: string; ext: string | null }> {
  const sniffed = await fileTypeFromBuffer(file.head);
  if (sniffed) return { mime: sniffed.mime, ext: sniffed.ext };
  const textual = /^text\//.test(file.declaredType) || file.declaredType === 'application/json';
  return textual && isLikelyText(file.head)
    ? { mime: 'text/plain', ext: null }
    : { mime: 'application/octet-stream', ext: null };
}

/**
 * An image's dimensions from its header, as shown: EXIF orientations 5-8 (a quarter turn) swap
 * them, as the media worker's upright copy will.
 */
function headerDimensions(head: Buffer): { width: number; height: number } | null {
  try {
    const { width, height, orientation } = imageSize(head);
    return orientation !== undefined && orientation >= 5
      ? { width: height, height: width }
      : { width, height };
  } catch {
    // Unreadable here: the media worker, which decodes with a pixel limit, has the last word.
    return null;
  }
}

function isLikelyText(head: Buffer): boolean {
  return !head.subarray(0, 8192).includes(0);
}

/**
 * Stores one uploaded file: refuses forbidden types (415) and images over the pixel limit (413),
 * streams it to storage under `attachments/<id>/<name>`, then records it (recordUpload: the
 * attachment and its job for the media worker). The caller checked ATTACH_FILES where the file goes into a channel.
 */
export async function storeUpload(
  rt: Runtime,
  uploaderId: string,
  file: IncomingFile,
): Promise<Row<'Attachment'>> {
  const type = await realType(file);
  if (rt.config.media.forbidden_types.includes(type.mime)) {
    throw new UnsupportedMediaTypeError(`Files of type ${type.mime} are not allowed`);
  }
  // The header alone tells an image's dimensions (image-size reads them from the first bytes; sharp
  // needs the whole file): a decompression bomb is refused before it is stored, and the answer
  // carries width and height at once (API.md's attachment object) instead of after the media worker.
  const dimensions = DECODABLE_IMAGES.has(type.mime) ? headerDimensions(file.head) : null;
  if (dimensions && dimensions.width * dimensions.height > rt.config.media.max_image_pixels) {
    throw new ApiError(
      413,
      'image_too_large',
      `Images may have at most ${rt.config.media.max_image_pixels} pixels`,
      {
        files: `${dimensions.width}x${dimensions.height} is too many pixels`,
      },
    );
  }
  const id = rt.snowflake.next();
  const filename = sanitizeFilename(file.filename, type.ext);
  const key = `attachments/${id}/${keySafeName(filename)}`;
  let size: number;
  try {
    size = (await rt.storage.put(key, file.stream, type.mime)).size;
  } catch (err) {
    await rt.storage.delete(key).catch(() => undefined);
    throw err;
  }
  try {
    return await recordUpload(rt, uploaderId, {
      id,
      filename,
      content_type: type.mime,
      size,
      storage_key: key,
      width: dimensions?.width ?? null,
      height: dimensions?.height ?? null,
    });
  } catch (err) {
    // Unrecorded, the file would be unreachable: remove it.
    await rt.storage.delete(key).catch(() => undefined);
    throw err;
  }
}

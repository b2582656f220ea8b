import type { Request } from 'express';
import { fileTypeFromBuffer } from 'file-type';
import { imageSize } from 'image-size';
import sharp, { type Metadata } from 'sharp';
import { ApiError, PayloadTooLargeError, ValidationError } from '../../shared/errors.js';
import type { Runtime } from '../../shared/runtime.js';
import { readMultipart } from './multipart.js';

// Shared with account deletion (shared/accounts), which erases the avatar too.
export { deleteRenditions, keyFromMediaUrl } from '../../shared/storage/renditions.js';

/** The only types accepted for avatars, icons and emoji (sniffed from the bytes). */
export const PICTURE_TYPES = new Set(['image/png', 'image/jpeg', 'image/webp', 'image/gif']);

/** How big an uploaded picture may be, and what its error names the file part. */
export interface PictureLimits {
  /** The form field errors name (`image`). */
  field: string;
  maxBytes: number;
  /** Largest width and (per frame) height of the input. */
  maxSide: number;
  /** Most frames of an animated input (bounds the decoding work of a small file). */
  maxFrames: number;
}

/** A picture as uploaded: its bytes, its sniffed type, whether it moves. */
export interface UploadedPicture {
  data: Buffer;
  mime: string;
  animated: boolean;
  width: number;
  height: number;
  frames: number;
  /** The form's text fields (an emoji's `name`). */
  fields: Record<string, string>;
}

function tooLarge(limits: PictureLimits): ApiError {
  return new ApiError(
    413,
    'payload_too_large',
    `Payload too large (limit ${limits.maxBytes} bytes)`,
    { [limits.field]: `must be at most ${limits.maxBytes} bytes` },
    { limit_bytes: limits.maxBytes },
  );
}

/**
 * Reads a multipart request holding one picture (any file field name; errors call it
 * `limits.field`) into memory: pictures are small, sharp needs the whole file anyway. The size
 * limit holds while streaming (413 as soon as it is passed, nothing kept).
 */
export async function readPictureUpload(
  rt: Pick<Runtime, 'config'>,
  req: Request,
  limits: PictureLimits,
): Promise<UploadedPicture> {
  if (typeof req.is('multipart/form-data') !== 'string') {
    throw new ValidationError({ [limits.field]: 'must be sent as multipart/form-data with one image file' });
  }
  let data: Buffer | null = null;
  let fields: Record<string, string>;
  try {
    fields = await readMultipart(
      req,
      { maxFileBytes: limits.maxBytes, maxRequestBytes: limits.maxBytes, maxFiles: 1, headBytes: 64 * 1024 },
      async (file) => {
        const chunks: Buffer[] = [];
        for await (const chunk of file.stream) chunks.push(chunk as Buffer);
        data = Buffer.concat(chunks);
      },
    );
  } catch (err) {
    if (err instanceof PayloadTooLargeError) throw tooLarge(limits);
    if (err instanceof ValidationError && err.errors?.files) {
      throw new ValidationError({ [limits.field]: 'exactly one image file' });
    }
    throw err;
  }
  if (data === null) throw new ValidationError({ [limits.field]: 'an image file is required' });
  return { ...(await inspectPicture(rt, data, limits)), fields };
}

/**
 * Checks a picture's bytes: type sniffed (PNG, JPEG, WebP or GIF, else 415), dimensions from the
 * header before any decoding (413 over `maxSide` per frame, like the upload path's pixel check),
 * then sharp's metadata for the frames.
 */
export async function inspectPicture(
  rt: Pick<Runtime, 'config'>,
  data: Buffer,
  limits: PictureLimits,
): Promise<Omit<UploadedPicture, 'fields'>> {
  const field = limits.field;
  const sniffed = await fileTypeFromBuffer(data);
  if (
    !sniffed ||
    !PICTURE_TYPES.has(sniffed.mime) ||
    rt.config.media.forbidden_types.includes(sniffed.mime)
  ) {
    throw new ApiError(415, 'unsupported_media_type', 'Pictures must be PNG, JPEG, WebP or GIF', {
      [field]: `${sniffed?.mime ?? 'unknown type'} is not PNG, JPEG, WebP or GIF`,
    });
  }
  const overSide = (w: number, h: number) =>
    new ApiError(
      413,
      'image_too_large',
      `Pictures may be at most ${limits.maxSide}x${limits.maxSide} pixels`,
      {
        [field]: `${w}x${h} is larger than ${limits.maxSide}x${limits.maxSide}`,
      },
    );
  try {
    // image-size reads the header only: a decompression bomb is refused before sharp decodes it.
    const header = imageSize(data);
    if (header.width > limits.maxSide || header.height > limits.maxSide) {
      throw overSide(header.width, header.height);
    }
  } catch (err) {
    if (err instanceof ApiError) throw err;
    // Unreadable header: sharp below decides.
  }
  let meta: Metadata;
  try {
    meta = await sharp(data, { limitInputPixels: limits.maxSide * limits.maxSide }).metadata();
  } catch {
    throw new ValidationError({ [field]: 'is not a readable image' });
  }
  const width = meta.width ?? 0;
  // Read without `animated`, height is the first frame's.
  const height = meta.pageHeight ?? meta.height ?? 0;
  if (width > limits.maxSide || height > limits.maxSide) throw overSide(width, height);
  const frames = meta.pages ?? 1;
  if (frames > limits.maxFrames) {
    throw new ValidationError({ [field]: `at most ${limits.maxFrames} frames` });
  }
  const animated = frames > 1 && (sniffed.mime === 'image/gif' || sniffed.mime === 'image/webp');
  return { data, mime: sniffed.mime, animated, width, height, frames };
}

/** The renditions of a square picture: a WebP, and a PNG (or an animated GIF). */
export interface SquareRenditions {
  webp: Buffer;
  fallback: Buffer;
  fallbackType: 'image/png' | 'image/gif';
  animated: boolean;
}

/**
 * Fits a picture into a `size` x `size` square (contain: the whole picture, transparent bars).
 * With `keepAnimation` an animated input stays animated (animated WebP + GIF); otherwise only its
 * first frame is used. JPEG orientation is applied; metadata (EXIF, GPS) is not copied.
 */
export async function squareRenditions(
  picture: Pick<UploadedPicture, 'data' | 'animated' | 'width' | 'height'>,
  size: number,
  keepAnimation: boolean,
): Promise<SquareRenditions> {
  const animated = keepAnimation && picture.animated;
  const limitInputPixels = false as const; // checked by inspectPicture (per frame) before this
  const base = () =>
    // Only still pictures carry an EXIF orientation (sharp cannot rotate multi-page images).
    (animated
      ? sharp(picture.data, { animated, limitInputPixels })
      : sharp(picture.data, { limitInputPixels }).rotate()
    ).resize(size, size, { fit: 'contain', background: { r: 0, g: 0, b: 0, alpha: 0 } });
  const [webp, fallback] = await Promise.all([
    base().webp({ quality: 90 }).toBuffer(),
    animated ? base().gif().toBuffer() : base().png().toBuffer(),
  ]);
  return { webp, fallback, fallbackType: animated ? 'image/gif' : 'image/png', animated };
}

/**
 * Stores a picture's two renditions under `<prefix>.webp` and `<prefix>.png|.gif`; the WebP's key
 * is returned with the other. When the second put fails the first is removed.
 */
export async function storeRenditions(
  rt: Pick<Runtime, 'storage'>,
  prefix: string,
  renditions: SquareRenditions,
): Promise<{ webpKey: string; fallbackKey: string }> {
  const webpKey = `${prefix}.webp`;
  const fallbackKey = `${prefix}.${renditions.fallbackType === 'image/gif' ? 'gif' : 'png'}`;
  await rt.storage.put(webpKey, renditions.webp, 'image/webp');
  try {
    await rt.storage.put(fallbackKey, renditions.fallback, renditions.fallbackType);
  } catch (err) {
    await rt.storage.delete(webpKey).catch(() => undefined);
    throw err;
  }
  return { webpKey, fallbackKey };
}

/**
 * The bytes of a `data:image/...;base64,...` URI (the JSON form of a picture upload): 400 naming
 * the field when it is not one, 413 when it holds more than the limit. The declared type is
 * ignored: inspectPicture sniffs the bytes.
 */
export function decodeDataUri(uri: string, limits: PictureLimits): Buffer {
  const match = /^data:image\/[A-Za-z0-9.+-]+;base64,([A-Za-z0-9+/]*={0,2})$/.exec(uri);
  if (!match) {
    throw new ValidationError({ [limits.field]: 'must be a data URI: data:image/<type>;base64,<data>' });
  }
  const encoded = match[1] as string;
  if (Math.floor((encoded.length * 3) / 4) > limits.maxBytes + 2) throw tooLarge(limits);
  const data = Buffer.from(encoded, 'base64');
  if (data.length > limits.maxBytes) throw tooLarge(limits);
  if (data.length === 0) throw new ValidationError({ [limits.field]: 'an image is required' });
  return data;
}

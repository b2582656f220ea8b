import { Readable } from 'node:stream';
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  HeadBucketCommand,
  HeadObjectCommand,
  PutObjectCommand,
  S3Client,
  S3ServiceException,
  UploadPartCommand,
  type CompletedPart,
} from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { assertValidKey, RangeNotSatisfiableError } from './keys.js';
import type {
  BlobStorage,
  ByteRange,
  ObjectInfo,
  ObjectStream,
  PresignOptions,
  StoredObject,
} from './types.js';

/** S3's smallest part (except the last); also the most a streamed put holds in memory at once. */
export const MIN_PART_SIZE = 5 * 1024 * 1024;
const DEFAULT_PART_SIZE = 8 * 1024 * 1024;
const FALLBACK_TYPE = 'application/octet-stream';

/** Where the bucket is and how to reach it (the `storage.s3` settings). */
export interface S3StorageOptions {
  bucket: string;
  region: string;
  /** An S3-compatible service; null: AWS. */
  endpoint: string | null;
  forcePathStyle: boolean;
  /** Both null: the SDK's default credential chain. */
  accessKeyId: string | null;
  secretAccessKey: string | null;
  /** Bytes per multipart part (at least MIN_PART_SIZE). */
  partSize?: number;
}

function isNotFound(err: unknown): boolean {
  return (
    err instanceof S3ServiceException &&
    (err.$metadata.httpStatusCode === 404 || err.name === 'NoSuchKey' || err.name === 'NotFound')
  );
}

function isInvalidRange(err: unknown): boolean {
  return (
    err instanceof S3ServiceException && (err.$metadata.httpStatusCode === 416 || err.name === 'InvalidRange')
  );
}

/** `bytes 0-99/1000` -> the range and the total. */
function parseContentRange(header: string | undefined): { range: ByteRange; size: number } | null {
  const match = /^bytes (\d+)-(\d+)\/(\d+)$/.exec(header ?? '');
  if (!match) return null;
  return { range: { start: Number(match[1]), end: Number(match[2]) }, size: Number(match[3]) };
}

/**
 * Objects in an S3 bucket. Streamed puts go up as a multipart upload in parts of `partSize` (a body
 * shorter than one part is a single PutObject), one part at a time, so memory per upload stays at
 * about two parts (the one filling, and the SDK lets go of the last one sent only with the next
 * request) whatever the file's size; a body that fails midway aborts the upload and leaves no object.
 */
export class S3Storage implements BlobStorage {
  readonly driver = 's3' as const;
  readonly bucket: string;
  private readonly client: S3Client;
  private readonly partSize: number;

  constructor(options: S3StorageOptions) {
    this.bucket = options.bucket;
    this.partSize = Math.max(options.partSize ?? DEFAULT_PART_SIZE, MIN_PART_SIZE);
    const credentials =
      options.accessKeyId && options.secretAccessKey
        ? { accessKeyId: options.accessKeyId, secretAccessKey: options.secretAccessKey }
        : undefined;
    this.client = new S3Client({
      region: options.region,
      ...(options.endpoint ? { endpoint: options.endpoint } : {}),
      forcePathStyle: options.forcePathStyle,
      ...(credentials ? { credentials } : {}),
      // Otherwise the SDK sends streamed bodies aws-chunked with a trailing checksum, which
      // S3-compatible services (s3rver, older MinIO) store framing and all.
      requestChecksumCalculation: 'WHEN_REQUIRED',
      responseChecksumValidation: 'WHEN_REQUIRED',
    });
  }

  async put(key: string, body: Readable | Buffer, contentType: string): Promise<StoredObject> {
    assertValidKey(key);
    if (Buffer.isBuffer(body)) {
      await this.putWhole(key, body, contentType);
      return { size: body.length, contentType };
    }
    let pending: Buffer[] = [];
    let pendingBytes = 0;
    let total = 0;
    let uploadId: string | undefined;
    const parts: CompletedPart[] = [];
    /** Cuts the next part off what is pending. */
    const takePart = (): Buffer => {
      const joined = Buffer.concat(pending, pendingBytes);
      // A copy, not a view: a view of the remainder would keep the whole part alive after its upload.
      pending = [Buffer.from(joined.subarray(this.partSize))];
      pendingBytes -= this.partSize;
      return joined.subarray(0, this.partSize);
    };
    try {
      for await (const chunk of body) {
        const buffer = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk as string);
        pending.push(buffer);
        pendingBytes += buffer.length;
        total += buffer.length;
        // The loop pulls nothing while a part uploads, so the source waits (backpressure).
        while (pendingBytes >= this.partSize) {
          uploadId ??= await this.createUpload(key, contentType);
          parts.push(await this.uploadPart(key, uploadId, parts.length + 1, takePart()));
        }
      }
      const rest = Buffer.concat(pending, pendingBytes);
      if (uploadId === undefined) {
        await this.putWhole(key, rest, contentType);
      } else {
        if (rest.length > 0) parts.push(await this.uploadPart(key, uploadId, parts.length + 1, rest));
        await this.client.send(
          new CompleteMultipartUploadCommand({
            Bucket: this.bucket,
            Key: key,
            UploadId: uploadId,
            MultipartUpload: { Parts: parts },
          }),
        );
      }
      return { size: total, contentType };
    } catch (err) {
      body.destroy();
      if (uploadId !== undefined) {
        const abort = new AbortMultipartUploadCommand({ Bucket: this.bucket, Key: key, UploadId: uploadId });
        // Best effort: a bucket lifecycle rule should clean up uploads that could not be aborted.
        await this.client.send(abort).catch(() => undefined);
      }
      throw err;
    }
  }

  private async putWhole(key: string, body: Buffer, contentType: string): Promise<void> {
    await this.client.send(
      new PutObjectCommand({
        Bucket: this.bucket,
        Key: key,
        Body: body,
        ContentLength: body.length,
        ContentType: contentType,
      }),
    );
  }

  private async createUpload(key: string, contentType: string): Promise<string> {
    const created = await this.client.send(
      new CreateMultipartUploadCommand({ Bucket: this.bucket, Key: key, ContentType: contentType }),
    );
    if (!created.UploadId) throw new Error('CreateMultipartUpload returned no UploadId');
    return created.UploadId;
  }

  private async uploadPart(
    key: string,
    uploadId: string,
    partNumber: number,
    body: Buffer,
  ): Promise<CompletedPart> {
    const uploaded = await this.client.send(
      new UploadPartCommand({
        Bucket: this.bucket,
        Key: key,
        UploadId: uploadId,
        PartNumber: partNumber,
        Body: body,
        ContentLength: body.length,
      }),
    );
    return { PartNumber: partNumber, ETag: uploaded.ETag };
  }

  async get(key: string, range?: ByteRange): Promise<ObjectStream | null> {
    assertValidKey(key);
    if (range && (range.start < 0 || range.end < range.start)) {
      throw new RangeNotSatisfiableError((await this.head(key))?.size ?? 0);
    }
    let out;
    try {
      out = await this.client.send(
        new GetObjectCommand({
          Bucket: this.bucket,
          Key: key,
          ...(range ? { Range: `bytes=${range.start}-${range.end}` } : {}),
        }),
      );
    } catch (err) {
      if (isNotFound(err)) return null;
      if (isInvalidRange(err)) {
        const info = await this.head(key);
        if (!info) return null;
        throw new RangeNotSatisfiableError(info.size);
      }
      throw err;
    }
    if (!(out.Body instanceof Readable)) throw new Error('S3 GetObject returned no Node.js stream');
    const length = out.ContentLength ?? 0;
    const partial = range ? parseContentRange(out.ContentRange) : null;
    const size = partial ? partial.size : length;
    return {
      size,
      contentType: out.ContentType ?? FALLBACK_TYPE,
      etag: out.ETag ?? `"${size}"`,
      lastModified: out.LastModified ?? new Date(0),
      body: out.Body,
      length,
      // A service that ignores Range sends the whole object: say so rather than claim a range.
      range: partial ? partial.range : null,
    };
  }

  async head(key: string): Promise<ObjectInfo | null> {
    assertValidKey(key);
    try {
      const out = await this.client.send(new HeadObjectCommand({ Bucket: this.bucket, Key: key }));
      const size = out.ContentLength ?? 0;
      return {
        size,
        contentType: out.ContentType ?? FALLBACK_TYPE,
        etag: out.ETag ?? `"${size}"`,
        lastModified: out.LastModified ?? new Date(0),
      };
    } catch (err) {
      if (isNotFound(err)) return null;
      throw err;
    }
  }

  async delete(key: string): Promise<void> {
    assertValidKey(key);
    await this.client.send(new DeleteObjectCommand({ Bucket: this.bucket, Key: key }));
  }

  /** A GET URL signed for `ttlSeconds`; `options` become S3's `response-*` header overrides. */
  async presignedUrl(key: string, ttlSeconds: number, options: PresignOptions = {}): Promise<string> {
    assertValidKey(key);
    const command = new GetObjectCommand({
      Bucket: this.bucket,
      Key: key,
      ...(options.contentType ? { ResponseContentType: options.contentType } : {}),
      ...(options.contentDisposition ? { ResponseContentDisposition: options.contentDisposition } : {}),
      ...(options.cacheControl ? { ResponseCacheControl: options.cacheControl } : {}),
    });
    return getSignedUrl(this.client, command, { expiresIn: ttlSeconds });
  }

  /** The bucket exists and the credentials may reach it. */
  async check(): Promise<void> {
    await this.client.send(new HeadBucketCommand({ Bucket: this.bucket }));
  }

  close(): Promise<void> {
    this.client.destroy();
    return Promise.resolve();
  }
}

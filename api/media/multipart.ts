import { PassThrough, Transform, type Readable } from 'node:stream';
import busboy from 'busboy';
import type { Request } from 'express';
import { ApiError, PayloadTooLargeError, ValidationError } from '../../shared/errors.js';

/** One file of a multipart request: its first bytes (for sniffing) and the stream of the rest. */
export interface IncomingFile {
  field: string;
  /** The name the client gave (unsanitized). */
  filename: string;
  /** The type the client declared (never trusted). */
  declaredType: string;
  head: Buffer;
  /** The whole file (head included), limited to max_file_bytes (errors with 413 beyond). */
  stream: Readable;
}

export interface MultipartLimits {
  maxFileBytes: number;
  maxRequestBytes: number;
  maxFiles: number;
  /** Bytes read up front for type sniffing and image headers. */
  headBytes: number;
}

/** Text fields a form may have besides its files. */
const MAX_FIELDS = 20;

/** 413 for a form with more parts than allowed (the code body-parser's urlencoded limit maps to). */
function tooManyParts(why: string): ApiError {
  return new ApiError(413, 'too_many_parameters', `Too many form parts: ${why}`);
}

/** U+FFFD, which busboy's UTF-8 decoding puts in place of bytes that are not UTF-8. */
const REPLACEMENT = '\uFFFD';

/**
 * 400 for a text field whose bytes were not UTF-8. busboy hands fields over decoded (UTF-8 unless
 * the part declares a charset), with U+FFFD for each bad sequence and no way to see the bytes, so
 * a U+FFFD the client sent is refused too: rarer than broken bytes, and `payload_json` can carry
 * it escaped (`\ufffd`). Stored, either would read as text the client never wrote.
 */
function notUtf8(name: string): ValidationError {
  return new ValidationError(
    {
      [name]:
        `${name} must be UTF-8 text: it has bytes that are not (or U+FFFD, which stands for them; ` +
        'in payload_json write it as \\ufffd)',
    },
    `Invalid body: ${name}`,
  );
}

/** Form overhead (boundaries, part headers, small fields) allowed beyond the files' bytes. */
const FORM_OVERHEAD_BYTES = 64 * 1024;

/**
 * Reads a multipart/form-data request as a stream: each file is handed to `onFile` in order, with
 * its first bytes already read, and must be consumed (stored or drained) before the next one
 * arrives. Nothing is buffered beyond `headBytes` per file. A declared Content-Length over the
 * limit is refused before any byte is read; a file or request that grows past its limit fails
 * with 413 as soon as it does. Resolves with the text fields.
 */
export async function readMultipart(
  req: Request,
  limits: MultipartLimits,
  onFile: (file: IncomingFile) => Promise<void>,
): Promise<Record<string, string>> {
  const declared = Number(req.headers['content-length'] ?? NaN);
  if (declared > limits.maxRequestBytes + FORM_OVERHEAD_BYTES) {
    throw new PayloadTooLargeError(limits.maxRequestBytes);
  }
  let parser: busboy.Busboy;
  try {
    parser = busboy({
      headers: req.headers,
      // Browsers and fetch send a filename's UTF-8 bytes as they are (WHATWG's multipart
      // encoding); busboy's default, Latin-1, turned "é.txt" into "Ã©.txt".
      defParamCharset: 'utf8',
      limits: {
        files: limits.maxFiles,
        fields: MAX_FIELDS,
        fieldSize: 64 * 1024,
        parts: limits.maxFiles + MAX_FIELDS,
      },
    });
  } catch (err) {
    throw new ValidationError({ body: (err as Error).message }, 'Malformed multipart body');
  }
  const fields: Record<string, string> = {};
  let total = 0;
  let work: Promise<void> = Promise.resolve();
  let failure: unknown = null;
  let finish: () => void = () => undefined;
  /** The file being read now: cut off with the error when the request fails. */
  let current: Transform | null = null;
  const fail = (err: unknown): void => {
    failure ??= err;
    current?.destroy(err instanceof Error ? err : new Error(String(err)));
    // Stop parsing; the rest of the request is read and dropped (the error handler settles it).
    req.unpipe(parser);
    req.resume();
    finish();
  };

  const done = new Promise<void>((resolve, reject) => {
    finish = resolve;
    parser.on('field', (name, value, info) => {
      if (info.valueTruncated) fail(new ValidationError({ [name]: 'too long' }));
      else if (value.includes(REPLACEMENT)) fail(notUtf8(name));
      else fields[name] = value;
    });
    parser.on('file', (field, file, info) => {
      if (failure) {
        file.resume();
        return;
      }
      const limiter = byteLimiter(limits.maxFileBytes, (n) => {
        total += n;
        return total > limits.maxRequestBytes ? new PayloadTooLargeError(limits.maxRequestBytes) : null;
      });
      file.pipe(limiter);
      work = work.then(async () => {
        if (failure) return void limiter.resume();
        current = limiter;
        try {
          const { head, ended } = await readHead(limiter, limits.headBytes);
          const stream = new PassThrough();
          stream.write(head);
          if (ended) stream.end();
          else {
            limiter.pipe(stream);
            limiter.once('error', (err) => stream.destroy(err));
          }
          await onFile({
            field,
            filename: info.filename ?? 'file',
            declaredType: info.mimeType,
            head,
            stream,
          });
          // Whatever the handler did not read is discarded.
          stream.resume();
        } catch (err) {
          limiter.resume();
          fail(err);
        } finally {
          current = null;
        }
      });
    });
    parser.on('filesLimit', () => fail(new ValidationError({ files: `at most ${limits.maxFiles} files` })));
    // Past these limits busboy drops parts silently: refuse the request instead of acting on part of it.
    parser.on('fieldsLimit', () => fail(tooManyParts(`at most ${MAX_FIELDS} text fields`)));
    parser.on('partsLimit', () => fail(tooManyParts(`at most ${limits.maxFiles + MAX_FIELDS} parts`)));
    parser.on('error', (err) =>
      fail(new ValidationError({ body: (err as Error).message }, 'Malformed multipart body')),
    );
    parser.on('close', () => resolve());
    req.on('aborted', () => reject(new ApiError(400, 'request_aborted', 'The upload was interrupted')));
  });
  req.pipe(parser);
  await done;
  await work;
  if (failure) throw failure instanceof Error ? failure : new Error('upload failed');
  return fields;
}

/** Passes bytes through, failing with 413 once more than `max` went by (or `extra` objects). */
function byteLimiter(max: number, extra: (n: number) => Error | null): Transform {
  let seen = 0;
  return new Transform({
    transform(chunk: Buffer, _enc, callback) {
      seen += chunk.length;
      if (seen > max) return callback(new PayloadTooLargeError(max));
      const err = extra(chunk.length);
      if (err) return callback(err);
      callback(null, chunk);
    },
  });
}

/** Reads up to `size` bytes from the start of `stream` (less if it ends first: `ended`). */
function readHead(stream: Readable, size: number): Promise<{ head: Buffer; ended: boolean }> {
  return new Promise((resolve, reject) => {
    let ended = false;
    const chunks: Buffer[] = [];
    let length = 0;
    const onData = (chunk: Buffer): void => {
      chunks.push(chunk);
      length += chunk.length;
      if (length >= size) finish();
    };
    const onEnd = (): void => {
      ended = true;
      finish();
    };
    const finish = (): void => {
      stream.off('data', onData);
      stream.off('end', onEnd);
      stream.off('error', onError);
      stream.pause();
      const all = Buffer.concat(chunks);
      // Bytes past `size` go back to the front of the stream.
      if (all.length > size) stream.unshift(all.subarray(size));
      resolve({ head: all.subarray(0, size), ended });
    };
    const onError = (err: Error): void => reject(err);
    stream.on('data', onData);
    stream.once('end', onEnd);
    stream.once('error', onError);
  });
}

import { isUtf8 } from 'node:buffer';
import express, { type RequestHandler } from 'express';
import { MalformedJsonError, PayloadTooLargeError } from '../../shared/errors.js';

/**
 * JSON is UTF-8 (RFC 8259): a body that is not would be decoded with U+FFFD in place of its bad
 * bytes and stored altered, so it is refused as malformed instead. Bodies declared in another
 * charset body-parser accepts (UTF-16, UTF-32) are left to its decoder.
 */
function refuseInvalidUtf8(_req: unknown, _res: unknown, body: Buffer, encoding: string): void {
  if (encoding.toLowerCase().replace('-', '') === 'utf8' && !isUtf8(body)) {
    throw new MalformedJsonError('it is not valid UTF-8');
  }
}

/**
 * The JSON body parser, with a body over `limit` refused as soon as that is known, never read to
 * its end: body-parser reads a body it refuses to its very end before passing the error on, so a
 * client sending gigabytes would hold the connection (and be read) for as long as it keeps sending.
 * One announced over the limit is refused before a byte of it is read; a chunked one (no length
 * announced) at the byte that crosses the limit. The error handler then answers at once and
 * closes the connection instead of reading on.
 */
export function jsonBody(limit: number): RequestHandler[] {
  const parse = express.json({ limit, strict: true, verify: refuseInvalidUtf8 });
  const refuseAnnouncedOverLimit: RequestHandler = (req, _res, next) => {
    const declared = Number(req.headers['content-length']);
    if (declared > limit && req.is('application/json')) next(new PayloadTooLargeError(limit));
    else next();
  };
  const parseWithinLimit: RequestHandler = (req, res, next) => {
    if (req.headers['content-length'] !== undefined || !req.is('application/json')) {
      parse(req, res, next);
      return;
    }
    // body-parser stops reading at the limit too, but then reads the rest off before it calls
    // `next`: the first of its answer and this count's goes on, the other is dropped.
    let answered = false;
    let seen = 0;
    const once = (err?: unknown): void => {
      if (answered) return;
      answered = true;
      req.off('data', count);
      next(err);
    };
    const count = (chunk: Buffer): void => {
      seen += chunk.length;
      if (seen > limit) once(new PayloadTooLargeError(limit));
    };
    parse(req, res, once);
    // In the same tick as body-parser's own listener: neither misses a chunk.
    req.on('data', count);
  };
  return [refuseAnnouncedOverLimit, parseWithinLimit];
}

import express, { type RequestHandler } from 'express';
import { PayloadTooLargeError } from '../../shared/errors.js';

/**
 * The JSON body parser, with a body announced over `limit` refused before a byte of it is read:
 * body-parser reads a body it refuses to its very end before passing the error on, so a client
 * announcing gigabytes would hold the connection (and be read) for as long as it keeps sending.
 * Refused here, the error handler answers at once and closes the connection instead of reading.
 * A chunked body announces no length: body-parser's own limit stops it (after reading it off).
 */
export function jsonBody(limit: number): RequestHandler[] {
  const refuseAnnouncedOverLimit: RequestHandler = (req, _res, next) => {
    const declared = Number(req.headers['content-length']);
    if (declared > limit && req.is('application/json')) next(new PayloadTooLargeError(limit));
    else next();
  };
  return [refuseAnnouncedOverLimit, express.json({ limit, strict: true })];
}

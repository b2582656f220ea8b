import { STATUS_CODES } from 'node:http';
import type { NextFunction, Request, Response } from 'express';
import { clientDatabaseError, isDatabaseUnavailable, sqlState } from '../../shared/db/errors.js';
import {
  ApiError,
  DatabaseUnavailableError,
  MalformedJsonError,
  MethodNotAllowedError,
  PayloadTooLargeError,
} from '../../shared/errors.js';
import { redactQuery } from '../../shared/log-redaction.js';
import type { Logger } from '../../shared/logger.js';
import { allowedMethods } from './allowed-methods.js';

/**
 * Errors from the HTTP stack (body-parser, raw-body, the router's URI decoding, zlib through
 * body-parser, http-errors in general) carry the status they mean and often a `type`.
 */
interface HttpStackError extends Error {
  type?: string;
  status?: number;
  statusCode?: number;
  limit?: number;
  code?: string;
}

/** Codes for the HTTP stack's error types whose snake_cased type would read poorly. */
const STACK_CODES: Record<string, string> = {
  'entity.parse.failed': 'malformed_json',
  'entity.too.large': 'payload_too_large',
  'encoding.unsupported': 'unsupported_media_type',
  'charset.unsupported': 'unsupported_media_type',
  'parameters.too.many': 'too_many_parameters',
  'request.size.invalid': 'content_length_mismatch',
};

/** The 4xx status an error from the HTTP stack carries, or null (5xx or none: ours to judge). */
function clientStatus(e: HttpStackError): number | null {
  const status = e.status ?? e.statusCode;
  return typeof status === 'number' && status >= 400 && status < 500 ? status : null;
}

/** A snake_case code for a status-bearing error: its type, else what it is, else the status's name. */
function stackCode(e: HttpStackError, status: number): string {
  if (e.type) return STACK_CODES[e.type] ?? e.type.replace(/[^A-Za-z0-9]+/g, '_').toLowerCase();
  if (e instanceof URIError) return 'malformed_uri';
  if (typeof e.code === 'string' && e.code.startsWith('Z_')) return 'malformed_content_encoding';
  return (STATUS_CODES[status] ?? 'client_error').replace(/[^A-Za-z0-9]+/g, '_').toLowerCase();
}

/**
 * Maps anything thrown to an ApiError: ours as they are, the HTTP stack's client errors with their
 * status, Postgres errors that only input can cause (shared/db/errors.ts); anything else is null,
 * an internal error.
 */
function toApiError(err: unknown, bodyLimit: number): ApiError | null {
  if (err instanceof ApiError) return err;
  if (isDatabaseUnavailable(err)) return new DatabaseUnavailableError();
  const dbError = clientDatabaseError(err);
  if (dbError) return dbError;
  if (err === null || typeof err !== 'object') return null;
  const e = err as HttpStackError;
  const status = clientStatus(e);
  if (status === null) return null;
  if (e.type === 'entity.parse.failed') return new MalformedJsonError(e.message);
  if (e.type === 'entity.too.large') return new PayloadTooLargeError(e.limit ?? bodyLimit);
  return new ApiError(status, stackCode(e, status), e.message || (STATUS_CODES[status] ?? 'Client error'));
}

/** A refused request's unread body up to this size is read to its end before the answer. */
const DRAIN_MAX_BYTES = 1024 * 1024;
/** How long a refused request's small body may take to arrive before the connection is closed. */
const DRAIN_WAIT_MS = 2000;

/**
 * Whether bytes of the request's body may still be on their way: it has one, nobody read it to its
 * end (express.json reads a JSON body whole before the routes, even one it refuses as too large),
 * and the client has not gone.
 */
function bodyStillComing(req: Request): boolean {
  if (req.complete || req.readableEnded || req.destroyed) return false;
  const length = req.headers['content-length'];
  return req.headers['transfer-encoding'] !== undefined || (length !== undefined && length !== '0');
}

/**
 * Reads the rest of the body and drops it; true once it ended, false when it grew past
 * DRAIN_MAX_BYTES, took longer than DRAIN_WAIT_MS or the client went away. A route may have left the
 * request piped into a consumer that stopped reading (a failed upload's parser): it is cut loose.
 */
function drainBody(req: Request): Promise<boolean> {
  return new Promise((resolve) => {
    let seen = 0;
    const settle = (): void => {
      clearTimeout(timer);
      req.off('data', onData).off('end', settle).off('error', settle).off('close', settle);
      resolve(req.complete);
    };
    const onData = (chunk: Buffer): void => {
      seen += chunk.length;
      if (seen > DRAIN_MAX_BYTES) settle();
    };
    const timer = setTimeout(settle, DRAIN_WAIT_MS);
    req.on('data', onData).once('end', settle).once('error', settle).once('close', settle);
    req.unpipe();
    req.resume();
  });
}

/** After an answer with Connection: close, the rest of the body is read off for at most this long... */
const LINGER_MAX_MS = 30_000;
/** ...and while it keeps coming: a pause this long ends it. */
const LINGER_IDLE_MS = 2000;

/**
 * A lingering close, as nginx does (`lingering_close`): once the answer is written, the connection
 * is half-closed (FIN) and what the client is still sending is read and dropped until it stops
 * (the body's end, the client's close, a pause of LINGER_IDLE_MS) or for LINGER_MAX_MS at the most;
 * only then is the socket closed. Closing at once would leave the client's bytes unread, and the
 * kernel answers unread bytes with a reset, which also throws away the answer the client had not
 * read yet: clients sending a body over a limit (a 5 MiB JSON body, an upload over
 * media.max_file_bytes) then saw EPIPE or ECONNRESET instead of API.md's 413, depending on timing.
 * Node's http server ends a `Connection: close` response's socket with `destroySoon`, so that is
 * what this socket gets in its own version; nothing else closes it differently.
 */
function lingerAfterAnswer(req: Request): void {
  const socket = req.socket;
  socket.destroySoon = function lingeringClose(): void {
    let idle: NodeJS.Timeout | undefined;
    const close = (): void => {
      clearTimeout(idle);
      clearTimeout(cap);
      req.off('data', pause).off('end', close);
      socket.off('end', close).off('close', close);
      // Not before the answer is out: destroy() drops what is still queued to write.
      if (socket.writableFinished) socket.destroy();
      else socket.once('finish', () => socket.destroy());
    };
    const pause = (): void => {
      clearTimeout(idle);
      idle = setTimeout(close, LINGER_IDLE_MS);
    };
    const cap = setTimeout(close, LINGER_MAX_MS);
    pause();
    socket.end();
    if (req.complete || socket.readableEnded) {
      close();
      return;
    }
    // The request is flowing (drained, or dumped by Node once the answer finished): each chunk read
    // and dropped is a sign of life.
    req.on('data', pause).once('end', close);
    socket.once('end', close).once('close', close);
    req.resume();
  };
}

/**
 * Before an error answer to a request whose body is still coming (refused before it was read: a
 * bad token, a missing permission, an unknown route, a Content-Length over a limit): a small body
 * (up to DRAIN_MAX_BYTES) is read to its end and dropped, so the connection stays usable and a
 * client still writing gets the answer (closing under it makes its write fail with EPIPE, and most
 * HTTP clients then report that instead of the answer); anything bigger or slower than
 * DRAIN_WAIT_MS is not waited for: it is answered at once with Connection: close, and the rest is
 * read off behind the answer before the socket closes (lingerAfterAnswer). Left alone, Node would
 * read any size of unread body after the answer, and none at all of one a route began to read.
 */
async function settleUnreadBody(req: Request, res: Response): Promise<void> {
  if (!bodyStillComing(req)) return;
  const declared = Number(req.headers['content-length'] ?? NaN);
  // An unannounced (chunked) body is drained too, as long as it stays under the cap.
  if (!(declared > DRAIN_MAX_BYTES) && (await drainBody(req))) return;
  res.setHeader('Connection', 'close');
  lingerAfterAnswer(req);
}

/**
 * The one place errors become the error body of API.md. `redactUrl` keeps credentials in the URL
 * out of the log (shared/log-redaction.ts; the API passes one that knows its routes' `{token}`s).
 * A body the request still has coming is settled first (settleUnreadBody).
 */
export function errorHandler(
  logger: Logger,
  bodyLimit: number,
  redactUrl: (method: string, url: string) => string = (_method, url) => redactQuery(url),
) {
  const respond = (err: unknown, apiError: ApiError | null, req: Request, res: Response): void => {
    const requestId = String(res.getHeader('X-Request-Id') ?? '');
    if (apiError instanceof DatabaseUnavailableError) {
      // Not a bug: one line per request, without the stack, while Postgres is away.
      logger.warn({ request_id: requestId, err: (err as Error).message }, 'database unavailable');
    } else if (apiError && !(err instanceof ApiError) && sqlState(err) !== null) {
      // Input that reached Postgres unchecked: the client's fault, but a schema should have named the field.
      logger.warn(
        { err, request_id: requestId, method: req.method, url: redactUrl(req.method, req.originalUrl) },
        'database refused input',
      );
    }
    if (!apiError) {
      // Logged with its stack here; the client gets only the request id to quote.
      logger.error(
        { err, request_id: requestId, method: req.method, url: redactUrl(req.method, req.originalUrl) },
        'unhandled error',
      );
      res
        .status(500)
        .json({ code: 'internal_error', message: 'Internal server error', request_id: requestId });
      return;
    }
    // 429 (rate limits) and 503 (a dependency down) tell the client when to try again.
    if (apiError.extra?.retry_after !== undefined) {
      res.setHeader('Retry-After', String(Math.ceil(Number(apiError.extra.retry_after))));
    }
    if (apiError instanceof MethodNotAllowedError) res.setHeader('Allow', apiError.allow.join(', '));
    res.status(apiError.status).json({
      code: apiError.code,
      message: apiError.message,
      ...(apiError.errors ? { errors: apiError.errors } : {}),
      ...(apiError.extra ?? {}),
    });
  };
  return (err: unknown, req: Request, res: Response, _next: NextFunction): void => {
    if (res.headersSent) {
      logger.error(
        { err, request_id: String(res.getHeader('X-Request-Id') ?? '') },
        'error after response started',
      );
      res.destroy();
      return;
    }
    const apiError = toApiError(err, bodyLimit);
    settleUnreadBody(req, res)
      .then(() => respond(err, apiError, req, res))
      .catch((failure: unknown) => {
        logger.error(
          { err: failure, request_id: String(res.getHeader('X-Request-Id') ?? '') },
          'error answer failed',
        );
        res.destroy();
      });
  };
}

/**
 * What no route answered: a path that has routes for other methods is a 405 `method_not_allowed`
 * naming them (and in `Allow`); any other path a JSON 404 `unknown_route`, never Express's HTML
 * page. Mount it after everything else: the routes are read from `app.router` when it is called.
 * OPTIONS stays 404 here: the router answers it itself on any routed path (CORS preflights are
 * answered before, by the cors middleware).
 */
export function notFound(app: { router: { stack: unknown[] } }) {
  const methodsAt = allowedMethods(app.router);
  return (req: Request, _res: Response, next: NextFunction): void => {
    const allow = req.method === 'OPTIONS' ? [] : methodsAt(req.path);
    if (allow.length > 0) {
      next(new MethodNotAllowedError(req.method, req.path, allow));
      return;
    }
    next(new ApiError(404, 'unknown_route', `Unknown route: ${req.method} ${req.path}`));
  };
}

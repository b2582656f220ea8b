import type { NextFunction, Request, Response } from 'express';
import { isDatabaseUnavailable } from '../../shared/db/unavailable.js';
import {
  ApiError,
  DatabaseUnavailableError,
  MalformedJsonError,
  PayloadTooLargeError,
  UnsupportedMediaTypeError,
} from '../../shared/errors.js';
import { redactQuery } from '../../shared/log-redaction.js';
import type { Logger } from '../../shared/logger.js';

/** Errors raised by body-parser carry a `type` and `status`. */
interface BodyParserError extends Error {
  type?: string;
  status?: number;
  limit?: number;
}

/** Maps anything thrown to an ApiError; everything unknown is an internal error. */
function toApiError(err: unknown, bodyLimit: number): ApiError | null {
  if (err instanceof ApiError) return err;
  if (isDatabaseUnavailable(err)) return new DatabaseUnavailableError();
  const e = err as BodyParserError;
  switch (e?.type) {
    case 'entity.parse.failed':
      return new MalformedJsonError(e.message);
    case 'entity.too.large':
      return new PayloadTooLargeError(e.limit ?? bodyLimit);
    case 'encoding.unsupported':
    case 'charset.unsupported':
      return new UnsupportedMediaTypeError(e.message);
    case 'request.aborted':
      return new ApiError(400, 'request_aborted', 'Request aborted');
    case undefined:
    default:
      return null;
  }
}

/**
 * The one place errors become the error body of API.md. `redactUrl` keeps credentials in the URL
 * out of the log (shared/log-redaction.ts; the API passes one that knows its routes' `{token}`s).
 */
export function errorHandler(
  logger: Logger,
  bodyLimit: number,
  redactUrl: (method: string, url: string) => string = (_method, url) => redactQuery(url),
) {
  return (err: unknown, req: Request, res: Response, _next: NextFunction): void => {
    const apiError = toApiError(err, bodyLimit);
    const requestId = String(res.getHeader('X-Request-Id') ?? '');
    if (res.headersSent) {
      logger.error({ err, request_id: requestId }, 'error after response started');
      res.destroy();
      return;
    }
    if (apiError instanceof DatabaseUnavailableError) {
      // Not a bug: one line per request, without the stack, while Postgres is away.
      logger.warn({ request_id: requestId, err: (err as Error).message }, 'database unavailable');
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
    res.status(apiError.status).json({
      code: apiError.code,
      message: apiError.message,
      ...(apiError.errors ? { errors: apiError.errors } : {}),
      ...(apiError.extra ?? {}),
    });
  };
}

/** Unknown routes: a JSON 404, never Express's HTML page. */
export function notFound(req: Request, _res: Response, next: NextFunction): void {
  next(new ApiError(404, 'unknown_route', `Unknown route: ${req.method} ${req.path}`));
}

import type { IncomingMessage, ServerResponse } from 'node:http';
import type { RequestHandler } from 'express';
import { pinoHttp } from 'pino-http';
import type { Logger } from '../../shared/logger.js';
import { SECRET_QUERY_PARAMS, redactSecrets } from '../../shared/log-redaction.js';
import { requestId } from './request-id.js';

/** The request as pino's standard serializer hands it over (the parts redacted before logging). */
interface LoggedRequest {
  method: string;
  url: string;
  query: unknown;
  params: unknown;
  headers: unknown;
}

/** A request's log level: `error` for failures and 5xx answers, else `info`. */
const levelOf = (res: ServerResponse, err?: Error): 'error' | 'info' =>
  err || res.statusCode >= 500 ? 'error' : 'info';

/**
 * The request log: one line per request (`request completed` at info, `request errored` at error
 * for failures and 5xx), with credentials redacted (shared/log-redaction.ts), in pino-http's shape
 * (its serializers, the request as it looked when it arrived). The line is built only when the
 * response ends, and only at a level some sink keeps (stdout's `log.level` or the admin log's
 * `log.admin.level`: the logger's level is the lower of the two, shared/logger.ts): no child
 * logger per request, one serialization per line. pino-http's own middleware (a child logger and
 * its serialized request built up front for every request, whatever happens to the line) took
 * ~10% of the CPU per message at 800 msg/s (bench/RESULTS.md); nothing here reads `req.log`.
 */
export function requestLog(
  logger: Logger,
  options: {
    redactUrl: (method: string, url: string) => string;
    ignore: (url: string | undefined) => boolean;
  },
): RequestHandler {
  // pino-http's logger: the base logger with pino-http's request/response serializers, wrapped as
  // pino-http wraps them (its middleware itself is never run).
  const wrapped = pinoHttp({
    logger,
    serializers: {
      req: (req: LoggedRequest) => ({
        ...req,
        url: options.redactUrl(req.method, req.url),
        query: redactSecrets(req.query, SECRET_QUERY_PARAMS),
        params: redactSecrets(req.params),
        headers: redactSecrets(req.headers),
      }),
      res: (res: { headers: unknown }) => ({ ...res, headers: redactSecrets(res.headers) }),
    },
  }).logger;

  return (req: IncomingMessage & { id?: unknown }, res: ServerResponse, next: () => void): void => {
    req.id = req.id || requestId(req, res);
    if (options.ignore(req.url)) return next();
    const start = Date.now();
    // The request as it arrived: routers change `params` and `url` on their way.
    const { url } = req;
    const { params } = req as { params?: unknown };
    const done = (err?: Error): void => {
      res.removeListener('close', done);
      res.removeListener('finish', done);
      res.removeListener('error', done);
      const failure = err ?? (res as { err?: Error }).err;
      const level = levelOf(res, failure);
      if (!wrapped.isLevelEnabled(level)) return;
      const responseTime = Date.now() - start;
      // What pino's request serializer reads, built only for a line that is kept. Not a child of
      // `req` (Object.create(req)): an object that becomes a prototype is reshaped by V8, which
      // cost ~10 KB allocated and ~10 KB carried into the old generation per GET /version, logged
      // or not (bench/RESULTS.md, seventeenth session).
      const arrived = {
        id: req.id,
        method: req.method,
        originalUrl: url,
        query: (req as { query?: unknown }).query,
        params,
        headers: req.headers,
        socket: req.socket,
        raw: req,
      };
      // `req` first: where pino-http's child binding puts it, so the line reads the same.
      if (level === 'error') {
        const error = failure ?? new Error(`failed with status code ${res.statusCode}`);
        wrapped.error({ req: arrived, res, err: error, responseTime }, 'request errored');
      } else {
        const completed = !req.readableAborted && res.writableEnded;
        wrapped.info(
          { req: arrived, res, responseTime },
          completed ? 'request completed' : 'request aborted',
        );
      }
    };
    res.on('close', done);
    res.on('finish', done);
    res.on('error', done);
    next();
  };
}

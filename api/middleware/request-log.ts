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
 * for failures and 5xx), with credentials redacted (shared/log-redaction.ts). pino-http builds each
 * request's logger up front, serializing the request, whatever happens to the line; so while no
 * sink keeps info (stdout's `log.level` and the admin log's `log.admin.level` both above it: the
 * logger's level is the lower of the two, shared/logger.ts), requests take a lean path that only
 * sets the request id and, for the failures that are still kept, writes the very line pino-http
 * would have (the request as it looked when it arrived) when the response ends.
 */
export function requestLog(
  logger: Logger,
  options: {
    redactUrl: (method: string, url: string) => string;
    ignore: (url: string | undefined) => boolean;
  },
): RequestHandler {
  const full = pinoHttp({
    logger,
    genReqId: requestId,
    customLogLevel: (_req, res, err) => levelOf(res, err),
    autoLogging: { ignore: (req) => options.ignore(req.url) },
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
  });
  // pino-http's own logger (its serializers wrapped as it wraps them): failures of the lean path.
  const wrapped = full.logger;

  const lean = (req: IncomingMessage & { id?: unknown }, res: ServerResponse): void => {
    req.id = req.id || requestId(req, res);
    if (options.ignore(req.url)) return;
    const start = Date.now();
    // What pino-http serializes when the request arrives; routers change `params` (and `url`) later.
    const arrived = Object.create(req, {
      params: { value: (req as { params?: unknown }).params },
    }) as unknown;
    const done = (err?: Error): void => {
      res.removeListener('close', done);
      res.removeListener('finish', done);
      res.removeListener('error', done);
      const failure = err ?? (res as { err?: Error }).err;
      const level = levelOf(res, failure);
      if (!wrapped.isLevelEnabled(level)) return;
      const log = wrapped.child({ req: arrived });
      const responseTime = Date.now() - start;
      if (level === 'error') {
        const error = failure ?? new Error(`failed with status code ${res.statusCode}`);
        log.error({ res, err: error, responseTime }, 'request errored');
      } else {
        const completed = !req.readableAborted && res.writableEnded;
        log.info({ res, responseTime }, completed ? 'request completed' : 'request aborted');
      }
    };
    res.on('close', done);
    res.on('finish', done);
    res.on('error', done);
  };

  return (req, res, next) => {
    if (logger.isLevelEnabled('info')) full(req, res, next);
    else {
      lean(req, res);
      next();
    }
  };
}

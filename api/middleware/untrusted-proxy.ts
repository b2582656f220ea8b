import type { RequestHandler } from 'express';
import type { Logger } from '../../shared/logger.js';
import { untrustedProxyWarner } from '../../shared/net/untrusted-proxy.js';

/**
 * Logs one warning per process when a loopback or private peer that server.trusted_proxies does not
 * list sends X-Forwarded-For (see untrustedProxyWarner). The request itself goes on unchanged.
 */
export function warnUntrustedProxy(logger: Logger, trusted: (peer: string) => boolean): RequestHandler {
  const warn = untrustedProxyWarner(logger, trusted);
  return (req, _res, next) => {
    warn(req);
    next();
  };
}

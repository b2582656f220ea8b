import type { RequestHandler } from 'express';
import type { Logger } from '../../shared/logger.js';
import { CidrSet, normalizeIp } from '../../shared/net/ip.js';

/** Peers that are almost always a proxy of the operator's own when they send X-Forwarded-For. */
const LOCAL_PEERS = new CidrSet([
  '127.0.0.0/8',
  '::1/128',
  '10.0.0.0/8',
  '172.16.0.0/12',
  '192.168.0.0/16',
  'fc00::/7',
]);

/**
 * Logs one warning per process when a loopback or private peer that server.trusted_proxies does not
 * list sends X-Forwarded-For: a proxy in front that is not trusted makes every client look like
 * the proxy, so per-address throttles and IP rules judge them all as one (and a loopback proxy's
 * clients fall under security.throttle_exempt_cidrs). The request itself goes on unchanged.
 */
export function warnUntrustedProxy(logger: Logger, trusted: (peer: string) => boolean): RequestHandler {
  let warned = false;
  return (req, _res, next) => {
    if (!warned && req.headers['x-forwarded-for'] !== undefined) {
      const peer = normalizeIp(req.socket.remoteAddress);
      if (LOCAL_PEERS.has(peer) && !trusted(peer)) {
        warned = true;
        logger.warn(
          { peer },
          'a proxy sends X-Forwarded-For but server.trusted_proxies does not list it: every client it forwards is seen as the proxy’s address; add it to server.trusted_proxies',
        );
      }
    }
    next();
  };
}

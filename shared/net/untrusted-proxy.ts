import type { IncomingMessage } from 'node:http';
import type { Logger } from '../logger.js';
import { CidrSet, normalizeIp } from './ip.js';

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
 * A check that logs one warning (per call of this function) when a loopback or private peer that
 * server.trusted_proxies does not list sends X-Forwarded-For: a proxy in front that is not trusted
 * makes every client look like the proxy, so per-address throttles, handshake limits and IP rules
 * judge them all as one (and a loopback proxy's clients fall under security.throttle_exempt_cidrs).
 */
export function untrustedProxyWarner(
  logger: Logger,
  trusted: (peer: string) => boolean,
): (request: IncomingMessage) => void {
  let warned = false;
  return (request) => {
    if (warned || request.headers['x-forwarded-for'] === undefined) return;
    const peer = normalizeIp(request.socket.remoteAddress);
    if (!LOCAL_PEERS.has(peer) || trusted(peer)) return;
    warned = true;
    logger.warn(
      { peer },
      'a proxy sends X-Forwarded-For but server.trusted_proxies does not list it: every client it forwards is seen as the proxy’s address; add it to server.trusted_proxies',
    );
  };
}

import crypto from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Config } from '../config/index.js';
import { CidrSet, normalizeIp } from '../net/ip.js';
import type { Metrics } from './metrics.js';

/** The path every role serves its metrics on. */
export const METRICS_PATH = '/metrics';

function tokenMatches(header: string | undefined, token: string): boolean {
  const sent = /^Bearer (.+)$/i.exec(header ?? '')?.[1];
  if (!sent) return false;
  const a = crypto.createHash('sha256').update(sent).digest();
  const b = crypto.createHash('sha256').update(token).digest();
  return crypto.timingSafeEqual(a, b);
}

/**
 * A plain node:http handler for GET /metrics, so the API (Express), a standalone gateway and a
 * standalone worker's listener all serve it the same way. Scrapers are let in by `metrics.token`
 * or by `isAdmin`; on a role's own listener (`byAddress`: a separate port, never the public one)
 * also by address (`metrics.allow_cidrs`, the TCP peer). On the API's port /metrics is for admins
 * and the token only, as API.md has it ("admin-only or separate port"): a proxy on the same host
 * would otherwise pass every client in as loopback. No credentials: 401; others': 403.
 */
export function metricsHandler(
  config: Pick<Config, 'metrics'>,
  metrics: Metrics,
  /** Another way in (the API lets instance admins' tokens in). */
  isAdmin: (req: IncomingMessage) => Promise<boolean> = () => Promise.resolve(false),
  /** Whether `metrics.allow_cidrs` lets scrapers in by address (a role's own listener). */
  byAddress = true,
) {
  const allowed = new CidrSet(byAddress ? config.metrics.allow_cidrs : []);
  const permitted = async (req: IncomingMessage): Promise<boolean> => {
    const token = config.metrics.token;
    if (allowed.has(normalizeIp(req.socket.remoteAddress))) return true;
    if (token && tokenMatches(req.headers.authorization, token)) return true;
    return isAdmin(req).catch(() => false);
  };
  return (req: IncomingMessage, res: ServerResponse): void => {
    void permitted(req).then((ok) => {
      if (ok) return serve(res);
      const anonymous = req.headers.authorization === undefined;
      res.writeHead(anonymous ? 401 : 403, { 'content-type': 'application/json' });
      res.end(
        JSON.stringify(
          anonymous
            ? { code: 'unauthorized', message: 'Metrics need an admin token or the metrics token' }
            : { code: 'forbidden', message: 'Metrics are not served to this client' },
        ),
      );
    });
  };

  function serve(res: ServerResponse): void {
    metrics.render().then(
      ({ contentType, body }) => {
        res.writeHead(200, { 'content-type': contentType, 'cache-control': 'no-store' });
        res.end(body);
      },
      () => {
        res.writeHead(500, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ code: 'internal_error', message: 'Metrics could not be collected' }));
      },
    );
  }
}

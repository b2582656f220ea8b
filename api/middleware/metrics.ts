import type { NextFunction, Request, Response } from 'express';
import type { Metrics } from '../../shared/metrics/metrics.js';

/** What requests that matched no route spec are counted as, so unknown URLs cannot blow up label counts. */
function fallbackRoute(path: string): string {
  if (path.startsWith('/admin/queues')) return '/admin/queues';
  if (path.startsWith('/docs') || path.startsWith('/redoc')) return '/docs';
  return 'unmatched';
}

/**
 * Counts every answered request by route template (the route registry puts the template in
 * `res.locals.route`, api/routes/registry.ts), and rate-limit refusals by route.
 */
export function httpMetrics(metrics: Metrics) {
  return (req: Request, res: Response, next: NextFunction): void => {
    const started = process.hrtime.bigint();
    res.once('finish', () => {
      const local = res.locals as { route?: string };
      const labels = {
        method: req.method,
        route: local.route ?? fallbackRoute(req.path),
        status: String(res.statusCode),
      };
      metrics.httpRequests.inc(labels);
      // Every limit (login throttles, webhooks, route buckets) answers 429: one place counts them.
      if (res.statusCode === 429) metrics.rateLimitHits.inc({ bucket: labels.route });
      metrics.httpDuration.observe(labels, Number(process.hrtime.bigint() - started) / 1e9);
    });
    next();
  };
}

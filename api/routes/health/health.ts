import type { Runtime } from '../../../shared/runtime.js';
import { PLEXICHAT_VERSION } from '../../../shared/version.js';
import { definePublicRoute, type AnyRoute } from '../route.js';
import { sharedChecks } from './checks.js';
import { healthResponse, readyResponse } from './schema.js';

/** GET /health and GET /ready: what load balancers and operators poll. */
export function healthRoutes(rt: Runtime): AnyRoute[] {
  const runChecks = sharedChecks(rt);
  return [
    definePublicRoute({
      method: 'get',
      path: '/health',
      // Monitoring polls these; they cost nothing (checks.ts: one run shared, a passing one reused).
      rateLimit: false,
      summary: 'Health of this process and its dependencies',
      description:
        '`checks` says `ok` or `error` per dependency (the database, Redis, the queues, storage), `details` what ' +
        'each measured (latency, queue counts, the error); 503 names the failing ones in `failing` and `message`. ' +
        'A passing result is answered again for up to a second; a failing one never is.',
      tags: ['Health'],
      responses: {
        200: { description: 'Everything answers', schema: healthResponse },
        503: { description: 'A dependency is failing', schema: healthResponse },
      },
      handler: async ({ res }) => {
        const details = await runChecks();
        // API.md's `checks` reads as one word per dependency; what was measured goes beside it.
        const checks = Object.fromEntries(Object.entries(details).map(([name, c]) => [name, c.status]));
        const failing = Object.entries(details)
          .filter(([, c]) => c.status === 'error')
          .map(([name]) => name);
        res.setHeader('Cache-Control', 'no-store');
        if (failing.length === 0) return { status: 'ok', version: PLEXICHAT_VERSION, checks, details };
        res.status(503).json({
          status: 'unavailable',
          code: 'service_unavailable',
          message: `Unavailable: ${failing.join(', ')}`,
          failing,
          version: PLEXICHAT_VERSION,
          checks,
          details,
        });
        return undefined;
      },
    }),
    definePublicRoute({
      method: 'get',
      path: '/ready',
      // Monitoring polls these; they cost nothing.
      rateLimit: false,
      summary: 'Whether this process can serve requests',
      description: 'Ready once migrations are applied and the database and Redis connections are up.',
      tags: ['Health'],
      responses: {
        200: { description: 'Ready', schema: readyResponse },
        503: { description: 'Not ready', schema: readyResponse },
      },
      handler: async ({ res }) => {
        const checks = await runChecks();
        res.setHeader('Cache-Control', 'no-store');
        const ready = checks.database.status === 'ok' && checks.redis.status === 'ok';
        res.status(ready ? 200 : 503).json({ status: ready ? 'ready' : 'not_ready' });
        return undefined;
      },
    }),
  ];
}

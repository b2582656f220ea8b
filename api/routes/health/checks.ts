import { QUEUE_NAMES } from '../../../shared/queues/index.js';
import type { Runtime } from '../../../shared/runtime.js';

/** The result of one dependency check. */
export interface CheckResult {
  status: 'ok' | 'error';
  latency_ms: number;
  error?: string;
  details?: Record<string, unknown>;
}

export type CheckName = 'database' | 'redis' | 'queues' | 'storage';

const CHECK_TIMEOUT_MS = 2000;

async function timed(fn: () => Promise<Record<string, unknown> | void>): Promise<CheckResult> {
  const started = performance.now();
  let timer: NodeJS.Timeout | undefined;
  try {
    const timeout = new Promise<never>((_resolve, reject) => {
      timer = setTimeout(() => reject(new Error(`timed out after ${CHECK_TIMEOUT_MS} ms`)), CHECK_TIMEOUT_MS);
    });
    const details = await Promise.race([fn(), timeout]);
    const result: CheckResult = { status: 'ok', latency_ms: Math.round(performance.now() - started) };
    if (details) result.details = details;
    return result;
  } catch (err) {
    return {
      status: 'error',
      latency_ms: Math.round(performance.now() - started),
      error: err instanceof Error ? err.message : String(err),
    };
  } finally {
    clearTimeout(timer);
  }
}

/**
 * How long a passing result answers /health and /ready again before the dependencies are asked
 * anew. The queues' check alone sends Redis a CLIENT LIST per queue (BullMQ's worker count), which
 * scans every client connection: unthrottled and unauthenticated, a flood of health requests would
 * otherwise slow Redis for everyone.
 */
export const HEALTH_REUSE_MS = 1000;

/** Whether every check passed. */
const allPassed = (checks: Record<CheckName, CheckResult>): boolean =>
  Object.values(checks).every((c) => c.status === 'ok');

/**
 * runChecks as the health routes call it: requests that arrive while a run is under way share
 * that run, and a passing result is answered again for HEALTH_REUSE_MS. A failing one is never
 * reused, so a dependency that comes back shows at the next request; one that goes away shows
 * within HEALTH_REUSE_MS.
 */
export function sharedChecks(rt: Runtime): () => Promise<Record<CheckName, CheckResult>> {
  let running: Promise<Record<CheckName, CheckResult>> | null = null;
  let passed: { at: number; checks: Record<CheckName, CheckResult> } | null = null;
  return () => {
    if (passed && performance.now() - passed.at < HEALTH_REUSE_MS) return Promise.resolve(passed.checks);
    running ??= runChecks(rt)
      .then((checks) => {
        passed = allPassed(checks) ? { at: performance.now(), checks } : null;
        return checks;
      })
      .finally(() => {
        running = null;
      });
    return running;
  };
}

/** Runs every dependency check in parallel, each bounded by a timeout. */
export async function runChecks(rt: Runtime): Promise<Record<CheckName, CheckResult>> {
  const [database, redis, queues, storage] = await Promise.all([
    timed(async () => {
      await rt.sequelize.query('SELECT 1');
    }),
    timed(async () => {
      await rt.redis.ping();
    }),
    timed(async () => {
      const entries = await Promise.all(
        QUEUE_NAMES.map(async (name) => {
          const queue = rt.queues[name];
          const [counts, workers] = await Promise.all([
            queue.getJobCounts('waiting', 'active', 'delayed', 'failed'),
            queue.getWorkersCount(),
          ]);
          return [name, { ...counts, workers }] as const;
        }),
      );
      return Object.fromEntries(entries);
    }),
    timed(async () => {
      await rt.storage.check();
      return { driver: rt.storage.driver };
    }),
  ]);
  return { database, redis, queues, storage };
}

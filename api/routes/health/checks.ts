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

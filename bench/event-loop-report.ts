/**
 * Loaded into each Plexichat process the bench starts when BENCH_EVENT_LOOP is set (bench/harness.ts:
 * an --import after tsx's, which the supervisor's children inherit). Every 5 s each process writes
 * to stderr its event-loop utilization and loop delay (p50 / p99 / max, ms) over those 5 s: a
 * loop busy most of the time delays everything it serves, whatever its CPU share.
 */
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';

const delay = monitorEventLoopDelay({ resolution: 5 });
delay.enable();
let last = performance.eventLoopUtilization();
const role = process.env.PLEXICHAT_SUPERVISED_ROLE ?? 'supervisor';
const millis = (ns: number): string => (ns / 1e6).toFixed(1);
setInterval(() => {
  const now = performance.eventLoopUtilization();
  const { utilization } = performance.eventLoopUtilization(now, last);
  last = now;
  process.stderr.write(
    `event loop ${new Date().toISOString().slice(11, 19)} ${role} pid ${process.pid}: ` +
      `utilization ${utilization.toFixed(2)}, delay p50 ${millis(delay.percentile(50))} / ` +
      `p99 ${millis(delay.percentile(99))} / max ${millis(delay.max)} ms\n`,
  );
  delay.reset();
}, 5000).unref();

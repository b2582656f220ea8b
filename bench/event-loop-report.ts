/**
 * Loaded into each Plexichat process the bench starts when BENCH_EVENT_LOOP is set (bench/harness.ts:
 * an --import after tsx's, which the supervisor's children inherit), and into the history part's
 * stack floor. Every 5 s each process writes to stderr its event-loop utilization and loop delay
 * (p50 / p99 / max, ms) over those 5 s, and its garbage collections: how many young-generation
 * scavenges and full (mark-compact) collections, and their pauses (total / max, ms). A loop busy
 * most of the time delays everything it serves, whatever its CPU share; a collection stops every
 * request in flight, which is what a p99 far above the p50 of sequential requests can be.
 */
import {
  PerformanceObserver,
  constants,
  monitorEventLoopDelay,
  performance,
  type PerformanceEntry,
} from 'node:perf_hooks';

const delay = monitorEventLoopDelay({ resolution: 5 });
delay.enable();
let last = performance.eventLoopUtilization();
const role = process.env.PLEXICHAT_SUPERVISED_ROLE ?? process.env.BENCH_REPORT_ROLE ?? 'supervisor';
const millis = (ns: number): string => (ns / 1e6).toFixed(1);

/** Pauses of one kind of collection since the last report. */
interface Pauses {
  count: number;
  totalMs: number;
  maxMs: number;
}
const fresh = (): Pauses => ({ count: 0, totalMs: 0, maxMs: 0 });
let scavenges = fresh();
let fullGcs = fresh();
new PerformanceObserver((list) => {
  for (const entry of list.getEntries()) {
    const kind = (entry as PerformanceEntry & { detail?: { kind?: number } }).detail?.kind;
    const into =
      kind === constants.NODE_PERFORMANCE_GC_MINOR
        ? scavenges
        : kind === constants.NODE_PERFORMANCE_GC_MAJOR
          ? fullGcs
          : null;
    if (!into) continue;
    into.count += 1;
    into.totalMs += entry.duration;
    into.maxMs = Math.max(into.maxMs, entry.duration);
  }
}).observe({ entryTypes: ['gc'] });
const pauses = (p: Pauses): string => `${p.count} (${p.totalMs.toFixed(1)} / ${p.maxMs.toFixed(1)} ms)`;

setInterval(() => {
  const now = performance.eventLoopUtilization();
  const { utilization } = performance.eventLoopUtilization(now, last);
  last = now;
  process.stderr.write(
    `event loop ${new Date().toISOString().slice(11, 19)} ${role} pid ${process.pid}: ` +
      `utilization ${utilization.toFixed(2)}, delay p50 ${millis(delay.percentile(50))} / ` +
      `p99 ${millis(delay.percentile(99))} / max ${millis(delay.max)} ms; ` +
      `scavenges ${pauses(scavenges)}, full GCs ${pauses(fullGcs)}\n`,
  );
  delay.reset();
  scavenges = fresh();
  fullGcs = fresh();
}, 5000).unref();

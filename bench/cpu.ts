/**
 * CPU accounting for the benches: every process that serves a message (the load generator,
 * Plexichat's processes by role, the Postgres backends of the bench database, redis-server), read
 * from /proc before and after a window. CPU time barely moves with other load on the machine, unlike
 * latency, so these figures hold on a busy box.
 */
import fs from 'node:fs';
import { childPids, processCpuMs, treeCpuMs } from './harness.js';

/** One process as the accounting sees it. */
interface Probe {
  /** Row of the report it is summed into. */
  label: string;
  pid: number;
  /** CPU ms so far; null once it exited. */
  read(): number | null;
}

/** Where to look: Plexichat's top process, the load generator, Redis, and the bench database. */
export interface CpuScope {
  plexichatPid: number;
  /** The Redis in use: a private one is all Plexichat's; the shared one also serves others. */
  redis: { pid: number; shared: boolean } | null;
  /** Database name whose Postgres backends are counted (other databases' are not). */
  database: string;
}

const readText = (file: string): string => {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch {
    return '';
  }
};

/** The role a supervised process runs (from its environment), or null for the supervisor. */
function roleOf(pid: number): string | null {
  const environ = readText(`/proc/${pid}/environ`).split('\0');
  const entry = environ.find((e) => e.startsWith('PLEXICHAT_SUPERVISED_ROLE='));
  return entry ? entry.slice('PLEXICHAT_SUPERVISED_ROLE='.length) : null;
}

/** Every process in scope now. */
function probes(scope: CpuScope): Probe[] {
  const out: Probe[] = [];
  const tree = (label: string, pid: number): Probe => ({
    label,
    pid,
    read: () => (fs.existsSync(`/proc/${pid}`) ? treeCpuMs(pid) : null),
  });
  // The bench process itself (tsx runs it in a child of the npm/tsx launcher, which only waits).
  out.push({
    label: 'load generator (bench clients)',
    pid: process.pid,
    read: () => processCpuMs(process.pid),
  });
  const children = childPids(scope.plexichatPid);
  const roles = new Map<string, number>();
  for (const child of children) {
    const role = roleOf(child) ?? `${readText(`/proc/${child}/comm`).trim()} (supervisor's child)`;
    const n = (roles.get(role) ?? 0) + 1;
    roles.set(role, n);
    const name = role === 'web' ? `web ${n} (API + gateway)` : role;
    out.push(tree(name, child));
  }
  out.push({
    label: children.length ? 'supervisor' : 'plexichat (single process)',
    pid: scope.plexichatPid,
    read: () => processCpuMs(scope.plexichatPid),
  });
  if (scope.redis) {
    const pid = scope.redis.pid;
    const label = scope.redis.shared ? 'redis-server (shared: others use it too)' : 'redis-server (its own)';
    out.push({ label, pid, read: () => processCpuMs(pid) });
  }
  // Postgres: the backends of the bench database, and the background processes (checkpointer, WAL
  // writer...) of the server they belong to, which serve every database on it.
  const postgres: { pid: number; parent: number; cmdline: string }[] = [];
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const pid = Number(entry);
    if (readText(`/proc/${pid}/comm`).trim() !== 'postgres') continue;
    const stat = readText(`/proc/${pid}/stat`);
    const parent = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
    postgres.push({ pid, parent, cmdline: readText(`/proc/${pid}/cmdline`).replace(/\0/g, ' ') });
  }
  // A backend reads "postgres: [cluster: ]user database host(port) state".
  const isBackend = (cmdline: string) => /\(\d+\)|\[local\]/.test(cmdline);
  const ours = postgres.filter((p) => isBackend(p.cmdline) && p.cmdline.includes(` ${scope.database} `));
  const servers = new Set(ours.map((p) => p.parent));
  for (const p of postgres) {
    const backend = ours.includes(p);
    if (!backend && !(servers.has(p.parent) && !isBackend(p.cmdline))) continue;
    out.push({
      label: backend ? `postgres backends (${scope.database})` : 'postgres background (shared, not in total)',
      pid: p.pid,
      read: () => processCpuMs(p.pid),
    });
  }
  return out;
}

/** The report row of every process in scope now, by pid (to name CPU profiles). */
export function processLabels(scope: CpuScope): Record<number, string> {
  return Object.fromEntries(probes(scope).map((p) => [p.pid, p.label]));
}

/** A reading of every process in scope. */
export interface CpuSnapshot {
  at: number;
  values: Map<string, { label: string; ms: number }>;
}

/** Reads every process in scope now. */
export function cpuSnapshot(scope: CpuScope): CpuSnapshot {
  const values = new Map<string, { label: string; ms: number }>();
  for (const probe of probes(scope)) {
    const ms = probe.read();
    if (ms !== null) values.set(`${probe.label}#${probe.pid}`, { label: probe.label, ms });
  }
  return { at: performance.now(), values };
}

/**
 * Reads every process in scope every `everyMs` until stopped, keeping each one's last reading: a
 * process that exits in the window (a pooled Postgres connection closed when idle) keeps what it
 * spent up to its last reading instead of vanishing from the sum. Each reading costs the load
 * generator ~10 ms (a walk of /proc): every 500 ms that was ~0.14 CPU-ms per message at 150 msg/s.
 */
export function cpuMeter(scope: CpuScope, everyMs = 2000): { stop(): CpuSnapshot } {
  const seen = cpuSnapshot(scope);
  const poll = () => {
    const now = cpuSnapshot(scope);
    for (const [key, value] of now.values) seen.values.set(key, value);
  };
  const timer = setInterval(poll, everyMs);
  return {
    stop: () => {
      clearInterval(timer);
      poll();
      return { at: performance.now(), values: seen.values };
    },
  };
}

/** CPU ms per report row between two snapshots, with the process count. */
export interface CpuDelta {
  seconds: number;
  rows: { label: string; ms: number; processes: number }[];
}

/** What each row spent from `before` to `after` (a process born in between counts from zero). */
export function cpuDelta(before: CpuSnapshot, after: CpuSnapshot): CpuDelta {
  const rows = new Map<string, { label: string; ms: number; processes: number }>();
  for (const [key, { label, ms }] of after.values) {
    const row = rows.get(label) ?? { label, ms: 0, processes: 0 };
    row.ms += ms - (before.values.get(key)?.ms ?? 0);
    row.processes += 1;
    rows.set(label, row);
  }
  return {
    seconds: (after.at - before.at) / 1000,
    rows: [...rows.values()].sort((a, b) => b.ms - a.ms),
  };
}

const inTotal = (label: string) => !label.includes('not in total');
const fixed = (value: number, digits: number) => (Number.isFinite(value) ? value.toFixed(digits) : '-');

/**
 * The report of one window: per row CPU ms, CPU-ms per message, its share of one core, and the
 * rate it alone would allow on a core of its own; then the total and the ceiling it implies on
 * `cores` cores. `idle` (optional): the same rows over an idle window, as ms per second.
 */
export function cpuReport(load: CpuDelta, messages: number, cores: number, idle?: CpuDelta): string[] {
  const idleRate = new Map(idle?.rows.map((r) => [r.label, r.ms / idle.seconds]));
  const lines = [
    `| process | CPU ms | CPU-ms per message | busy (of one core) | idle ms/s | alone on a core: msg/s |`,
    '| --- | --- | --- | --- | --- | --- |',
  ];
  let total = 0;
  let plexichat = 0;
  let biggest = { label: '', ms: 0 };
  for (const row of load.rows) {
    const perMessage = row.ms / messages;
    if (inTotal(row.label)) {
      total += row.ms;
      if (!row.label.startsWith('load generator')) plexichat += row.ms;
      if (row.processes === 1 && row.ms > biggest.ms) biggest = row;
    }
    const name = row.processes > 1 ? `${row.label}, ${row.processes} processes` : row.label;
    lines.push(
      `| ${name} | ${Math.round(row.ms)} | ${fixed(perMessage, 2)} | ` +
        `${fixed((100 * row.ms) / (load.seconds * 1000), 1)}% | ${fixed(idleRate.get(row.label) ?? NaN, 1)} | ` +
        `${row.processes === 1 ? Math.round(1000 / perMessage) : '-'} |`,
    );
  }
  const perMessage = total / messages;
  lines.push(
    `| **total (counted rows)** | ${Math.round(total)} | **${perMessage.toFixed(2)}** | ` +
      `${fixed((100 * total) / (load.seconds * 1000), 1)}% | | |`,
    '',
    `ceiling on ${cores} cores = ${cores} x 1000 ms / ${perMessage.toFixed(2)} CPU-ms per message = ` +
      `**${Math.round((cores * 1000) / perMessage)} msg/s** (load generator included); ` +
      `${Math.round((cores * 1000) / (plexichat / messages))} msg/s for Plexichat, Postgres and Redis alone; ` +
      `the busiest single process (${biggest.label}, ${(biggest.ms / messages).toFixed(2)} CPU-ms per ` +
      `message) caps at ${Math.round(1000 / (biggest.ms / messages))} msg/s on a core of its own.`,
  );
  return lines;
}

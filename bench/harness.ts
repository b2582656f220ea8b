/**
 * What the user-level benches share: Plexichat started in a child process (npm start's entry on the
 * local Postgres and Redis, database plexichat_bench) with rate limits no bench reaches, REST calls,
 * percentile summaries, process memory, and a fast history seed.
 */
import { execFileSync, spawn } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { SNOWFLAKE_EPOCH_MS } from '../shared/snowflake.js';

/** The bench database (created when missing). */
export const DATABASE_URL =
  process.env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/plexichat_bench';
export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

/** Milliseconds with one decimal. */
export const ms = (value: number) => `${value.toFixed(1)} ms`;

/** The value at percentile `p` of `values` (NaN when empty). */
export function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;
}

/** "p50 …, p99 …, max …" of `values`. */
export function stats(values: number[]): string {
  return `p50 ${ms(percentile(values, 50))}, p99 ${ms(percentile(values, 99))}, max ${ms(percentile(values, 100))}`;
}

/** Resident memory of a process, in KiB. */
export function rssKb(pid: number): number {
  const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? NaN);
}

/** Direct children of a process (from /proc). */
export function childPids(pid: number): number[] {
  const out: number[] = [];
  for (const task of fs.readdirSync(`/proc/${pid}/task`)) {
    const file = `/proc/${pid}/task/${task}/children`;
    if (!fs.existsSync(file)) continue;
    for (const child of fs.readFileSync(file, 'utf8').trim().split(/\s+/)) if (child) out.push(Number(child));
  }
  return out;
}

/** CPU time (user + system) of a process and all its descendants so far, in ms. */
export function treeCpuMs(pid: number): number {
  let ticks: number;
  try {
    // Fields after the command name (which may hold spaces): utime and stime are the 12th and 13th.
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    ticks = Number(fields[11]) + Number(fields[12]);
  } catch {
    return 0; // it exited
  }
  // Linux counts in USER_HZ, 100 per second on every platform Node runs on.
  return ticks * 10 + childPids(pid).reduce((sum, child) => sum + treeCpuMs(child), 0);
}

/**
 * Raises this process's open-file limit to `files` (inherited by the Plexichat it starts: thousands
 * of sockets on each end of the loopback) and returns the limit in force. Raising past the hard limit
 * needs CAP_SYS_RESOURCE; without it the soft limit goes up to the hard one.
 */
export function raiseFileLimit(files: number): number {
  const limits = () => {
    const line = /^Max open files\s+(\d+)\s+(\d+)/m.exec(fs.readFileSync('/proc/self/limits', 'utf8'));
    return { soft: Number(line?.[1] ?? 1024), hard: Number(line?.[2] ?? 1024) };
  };
  for (const target of [files, limits().hard]) {
    try {
      execFileSync('prlimit', ['--pid', String(process.pid), `--nofile=${target}:${target}`], {
        stdio: 'ignore',
      });
      break;
    } catch {
      // Not permitted past the hard limit: try the hard limit itself.
    }
  }
  return limits().soft;
}

/** A running Plexichat child process. */
export interface Plexichat {
  base: string;
  origin: string;
  pid: number;
  /** The key prefix it uses in Redis (a bench runtime on the same prefix sees its data). */
  prefix: string;
  stop(): Promise<void>;
}

/** Starts Plexichat (main.ts) on a free port in `mode`; `env` adds PLEXICHAT_* overrides. */
export async function startPlexichat(
  mode: 'single' | 'multi',
  env: Record<string, string> = {},
): Promise<Plexichat> {
  // BENCH_PROFILE=<dir>: the server writes a V8 CPU profile there when it stops.
  const profile = process.env.BENCH_PROFILE
    ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_PROFILE}`]
    : [];
  // The limiter still runs on every request (its cost is measured), with budgets no bench reaches:
  // the bench plays a few users sending far faster than people do.
  const dataDir = fs.mkdtempSync('/tmp/plexichat-bench-');
  const configFile = path.join(dataDir, 'bench.yaml');
  const unlimited = { points: 1_000_000, duration_seconds: 1 };
  fs.writeFileSync(
    configFile,
    JSON.stringify({
      // BENCH_BATCH_WINDOW_MS: queues.message_batch_window_ms (0: each message stored on its own).
      ...(process.env.BENCH_BATCH_WINDOW_MS
        ? { queues: { message_batch_window_ms: Number(process.env.BENCH_BATCH_WINDOW_MS) } }
        : {}),
      rate_limits: {
        global: unlimited,
        read: unlimited,
        write: unlimited,
        routes: { 'POST /channels/{channel_id}/messages': unlimited },
      },
    }),
  );
  const prefix = `bench-${crypto.randomBytes(3).toString('hex')}`;
  const child = spawn(process.execPath, [...profile, '--import', 'tsx', path.join(ROOT, 'main.ts')], {
    cwd: ROOT,
    env: {
      PATH: process.env.PATH,
      HOME: '/nonexistent',
      PLEXICHAT_CONFIG: configFile,
      PLEXICHAT_DATA_DIR: dataDir,
      PLEXICHAT_LOG__LEVEL: 'warn',
      PLEXICHAT_SERVER__PORT: '0',
      PLEXICHAT_SERVER__HOST: '127.0.0.1',
      PLEXICHAT_START__MODE: mode,
      PLEXICHAT_DATABASE__URL: DATABASE_URL,
      PLEXICHAT_DATABASE__POOL__MAX: '20',
      PLEXICHAT_REDIS__URL: 'redis://127.0.0.1:6379',
      PLEXICHAT_REDIS__KEY_PREFIX: prefix,
      ...env,
    },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const origin = await new Promise<string>((resolve, reject) => {
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      const match = /Plexichat is running: (http:\/\/[^/]+)\/api\/v1/.exec(out);
      if (match?.[1]) resolve(match[1]);
    });
    child.once('exit', (code) => reject(new Error(`plexichat exited (${code}): ${out}`)));
  });
  const exited = new Promise((resolve) => child.once('exit', resolve));
  return {
    base: `${origin}/api/v1`,
    origin,
    pid: child.pid as number,
    prefix,
    stop: async () => {
      child.kill('SIGTERM');
      await exited;
    },
  };
}

/** A REST call; throws on any status >= 300 with the answer's text. */
export async function call<T = Record<string, unknown> & { id: string }>(
  base: string,
  method: string,
  route: string,
  token: string | null,
  body?: unknown,
): Promise<T> {
  const res = await fetch(`${base}${route}`, {
    method,
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  if (res.status >= 300) throw new Error(`${method} ${route}: ${res.status} ${text}`);
  return (text ? JSON.parse(text) : null) as T;
}

/** Fills a channel with `rows` messages in one statement (ids as the snowflake layout builds them). */
export async function seedHistory(channelId: string, authorId: string, rows: number): Promise<void> {
  const client = new pg.Client({ connectionString: DATABASE_URL });
  await client.connect();
  try {
    // One message per ms, ending a minute ago, under datacenter/worker 31/31 (which no process here uses).
    const start = Date.now() - 60000 - rows;
    await client.query(
      `INSERT INTO messages (id, channel_id, author_id, content, created_at)
       SELECT ((($3::bigint + g) - $4::bigint) << 22) | (31 << 17) | (31 << 12), $1, $2, 'history message ' || g,
              to_timestamp(($3::bigint + g) / 1000.0)
         FROM generate_series(0, $5 - 1) AS g`,
      [channelId, authorId, start, SNOWFLAKE_EPOCH_MS, rows],
    );
    await client.query('ANALYZE messages');
  } finally {
    await client.end();
  }
}

/** Deletes a channel's messages (a seeded history) directly. */
export async function dropHistory(channelId: string): Promise<void> {
  const client = new pg.Client({ connectionString: DATABASE_URL });
  await client.connect();
  await client.query('DELETE FROM messages WHERE channel_id = $1', [channelId]).finally(() => client.end());
}

/**
 * What the user-level benches share: Plexichat started in a child process (npm start's entry on the
 * local Postgres and Redis, database plexichat_bench) with rate limits no bench reaches, REST calls,
 * percentile summaries, process memory, and a fast history seed.
 */
import { execFileSync, spawn } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { SNOWFLAKE_EPOCH_MS } from '../shared/snowflake.js';

/** The bench database (created when missing). */
export const DATABASE_URL =
  process.env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/plexichat_bench';
/** The Redis the benches use unless told otherwise. */
export const REDIS_URL = 'redis://127.0.0.1:6379';
export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

/**
 * Fan-out and idle clients are spread over users, this many connections each: one user with
 * thousands of connections, or thousands of users coming online in one server, is a quadratic
 * connect storm (presence per user, PRESENCE_UPDATE to every member), not the load measured here.
 * Plexichat is started with gateway.max_connections_per_user at this (all of a user's connections
 * may land on one process).
 */
export const CONNECTIONS_PER_USER = 100;

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

/**
 * CPU time (user + system) of one process so far, in ms; with `reaped`, plus that of its children
 * it has waited for (cutime + cstime). Null once it exited.
 */
export function processCpuMs(pid: number, reaped = false): number | null {
  try {
    // Fields after the command name (which may hold spaces): utime, stime, cutime, cstime are the
    // 12th to 15th.
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const ticks =
      Number(fields[11]) + Number(fields[12]) + (reaped ? Number(fields[13]) + Number(fields[14]) : 0);
    // Linux counts in USER_HZ, 100 per second on every platform Node runs on.
    return ticks * 10;
  } catch {
    return null;
  }
}

/** CPU time (user + system) of a process and all its descendants so far (live or reaped), in ms. */
export function treeCpuMs(pid: number): number {
  const own = processCpuMs(pid, true);
  if (own === null) return 0; // it exited
  return own + childPids(pid).reduce((sum, child) => sum + treeCpuMs(child), 0);
}

/** A redis-server of the bench's own (its CPU is then Plexichat's alone). */
export interface PrivateRedis {
  url: string;
  pid: number;
  stop(): Promise<void>;
}

/**
 * Starts the system redis-server on a free loopback port, persisting as `npm start`'s own does
 * (append-only file, no snapshots), in a temporary folder; null when redis-server is not installed.
 */
export async function startPrivateRedis(): Promise<PrivateRedis | null> {
  const port = await new Promise<number>((resolve, reject) => {
    const probe = net.createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port: free } = probe.address() as net.AddressInfo;
      probe.close(() => resolve(free));
    });
  });
  const dir = fs.mkdtempSync('/tmp/plexichat-bench-redis-');
  const args = ['--bind', '127.0.0.1', '--port', String(port), '--dir', dir];
  const child = spawn('redis-server', [...args, '--appendonly', 'yes', '--save', ''], { stdio: 'ignore' });
  const spawned = await new Promise<boolean>((resolve) => {
    child.once('spawn', () => resolve(true));
    child.once('error', () => resolve(false));
  });
  if (!spawned) return null;
  for (let i = 0; i < 100; i++) {
    const up = await new Promise<boolean>((resolve) => {
      const socket = net.connect(port, '127.0.0.1', () => {
        socket.end();
        resolve(true);
      });
      socket.once('error', () => resolve(false));
    });
    if (up) break;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  const exited = new Promise((resolve) => child.once('exit', resolve));
  return {
    url: `redis://127.0.0.1:${port}`,
    pid: child.pid as number,
    stop: async () => {
      child.kill('SIGTERM');
      await exited;
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
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

/**
 * BENCH_EVENT_LOOP=1: node arguments (after tsx's loader) that have a process report its event loop
 * and garbage collections to stderr every 5 s (bench/event-loop-report.ts).
 */
function eventLoopReport(): string[] {
  return process.env.BENCH_EVENT_LOOP ? ['--import', path.join(ROOT, 'bench', 'event-loop-report.ts')] : [];
}

/**
 * BENCH_NODE_ARGS: node arguments for Plexichat's processes (the supervisor's children inherit
 * them) and the yardsticks', space-separated: a V8 flag is tried, on both, without editing the bench.
 */
function benchNodeArgs(): string[] {
  return (process.env.BENCH_NODE_ARGS ?? '').split(' ').filter(Boolean);
}

/** A running Plexichat child process. */
export interface Plexichat {
  base: string;
  origin: string;
  pid: number;
  /** The key prefix it uses in Redis (a bench runtime on the same prefix sees its data). */
  prefix: string;
  /** The Redis it uses. */
  redisUrl: string;
  stop(): Promise<void>;
}

/** Starts Plexichat (main.ts) on a free port in `mode`; `env` adds PLEXICHAT_* overrides. */
export async function startPlexichat(
  mode: 'single' | 'multi',
  env: Record<string, string> = {},
  /** Extra node arguments, after tsx's loader (so they may --import TypeScript). */
  nodeArgs: string[] = [],
): Promise<Plexichat> {
  // BENCH_PROFILE=<dir>: the server writes a V8 CPU profile there when it stops.
  const profile = process.env.BENCH_PROFILE
    ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_PROFILE}`]
    : [];
  const eventLoop = eventLoopReport();
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
      // The bench's thousands of handshakes come from loopback, which security.throttle_exempt_cidrs
      // (kept at its default here) exempts from the per-address handshake limit; the per-user cap
      // applies to every address, so it is raised to what the bench opens per user.
      gateway: { max_connections_per_user: CONNECTIONS_PER_USER, handshake_rate_limit: unlimited },
      security: { throttle_exempt_cidrs: ['127.0.0.0/8', '::1/128'] },
      // The connections part measures how many one process holds, up to the descriptor limit itself:
      // the automatic cap (that limit less a reserve for the database and files) would stop it short.
      server: { max_connections: 10_000_000 },
    }),
  );
  const prefix = `bench-${crypto.randomBytes(3).toString('hex')}`;
  const redisUrl = env.PLEXICHAT_REDIS__URL ?? REDIS_URL;
  const child = spawn(
    process.execPath,
    [
      ...profile,
      '--import',
      'tsx',
      ...nodeArgs,
      ...benchNodeArgs(),
      ...eventLoop,
      path.join(ROOT, 'main.ts'),
    ],
    {
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
        PLEXICHAT_REDIS__URL: redisUrl,
        PLEXICHAT_REDIS__KEY_PREFIX: prefix,
        // Server-Timing on every answer, so the load part can print a send's phases (a few
        // performance.now() calls per request); BENCH_SERVER_TIMING=0 measures without it.
        PLEXICHAT_SERVER__TIMING: process.env.BENCH_SERVER_TIMING === '0' ? 'false' : 'true',
        // PLEXICHAT_* settings in the bench's own environment (PLEXICHAT_START__WEB_PROCESSES=1, say)
        // reach the server too: a process layout or setting is tried without editing the bench.
        ...Object.fromEntries(
          Object.entries(process.env).filter(
            ([k]) => k.startsWith('PLEXICHAT_') && !k.startsWith('PLEXICHAT_TEST_'),
          ),
        ),
        ...env,
      },
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
  // BENCH_SERVER_STDOUT=<file>: a copy of Plexichat's stdout, its processes' and V8's lines included
  // (BENCH_NODE_ARGS='--trace-gc --trace-gc-nvp', then bench/gc-trace-summary.ts on the file).
  if (process.env.BENCH_SERVER_STDOUT)
    child.stdout.pipe(fs.createWriteStream(process.env.BENCH_SERVER_STDOUT));
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
    redisUrl,
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

/** One request over `agent` (node:http): the answer's status and body as text. */
function agentRequest(
  agent: http.Agent,
  url: string,
  method: 'GET' | 'POST',
  token: string,
  body?: unknown,
): Promise<{ status: number; text: string; timing?: string }> {
  return new Promise((resolve, reject) => {
    const payload = body === undefined ? undefined : JSON.stringify(body);
    const req = http.request(
      url,
      {
        method,
        agent,
        headers: {
          authorization: `Bearer ${token}`,
          ...(payload === undefined
            ? {}
            : { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) }),
        },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            text: Buffer.concat(chunks).toString('utf8'),
            // Set when the server runs with server.timing (PLEXICHAT_SERVER__TIMING=true).
            timing: [res.headers['server-timing'] ?? []].flat().join(', ') || undefined,
          }),
        );
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(payload);
  });
}

/**
 * A kept-alive agent that drops an idle connection before the server does. node:http applies the
 * server's `Keep-Alive: timeout=5` hint (less a second) only when the agent has a `timeout` of its
 * own; without one an idle socket is kept until the server closes it, and a request sent on it as
 * it closes fails with ECONNRESET (3 sends in 6,000 at 600 msg/s, when the steps' sockets had sat
 * idle through a slower step).
 */
function keepAliveAgent(maxSockets: number): http.Agent {
  return new http.Agent({ keepAlive: true, maxSockets, timeout: 60_000 });
}

/**
 * A GET of JSON over one kept-alive connection with node:http, as a client holding its connection
 * open does: undici's fetch costs the load generator ~1.5 CPU-ms per call here, which on two
 * shared cores lands in the server's latency.
 */
export function keptAliveGet(base: string, token: string) {
  const agent = keepAliveAgent(1);
  const get = async <T>(route: string): Promise<T> => {
    const { status, text } = await agentRequest(agent, `${base}${route}`, 'GET', token);
    if (status >= 300) throw new Error(`GET ${route}: ${status} ${text}`);
    return JSON.parse(text) as T;
  };
  return { get, close: () => agent.destroy() };
}

/**
 * POSTs over at most `connections` kept-alive connections (node:http): requests beyond them wait in
 * the client, as they would in people's clients, where `fetch` opens a connection per request in
 * flight and an overloaded server gets thousands of new connections to accept and hand over.
 */
export function pooledPost(base: string, connections: number) {
  const agent = keepAliveAgent(connections);
  const post = (route: string, token: string, body: unknown) =>
    agentRequest(agent, `${base}${route}`, 'POST', token, body);
  return { post, close: () => agent.destroy() };
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
    // As autovacuum would have by the time a channel holds this many (it runs after inserts too):
    // rows never vacuumed have every first read set hint bits and dirty its page, which tripled the
    // page query's own p50 and p99 (1.8 / 9.8 ms against 0.53 / 3.5 once vacuumed, pg alone).
    await client.query('VACUUM (ANALYZE) messages');
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

/** A running bench/bare-server.ts: the no-application yardstick on the same cores. */
export interface BareServer {
  origin: string;
  pid: number;
  /** Has every worker send one MESSAGE_CREATE carrying `nonce` to each of its connections. */
  send(nonce: string): void;
  stop(): Promise<void>;
}

/**
 * Starts bench/bare-server.ts with `env` (BARE_PROCESSES, BARE_PAGE_BYTES, BARE_FRAME_BYTES), or
 * another yardstick (`script`: bench/stack-floor.ts, bench/message-floor.ts) that reports its port
 * the same way. `nodeArgs` go before tsx's loader (a node:cluster primary's workers inherit them).
 */
export async function startBareServer(
  env: Record<string, string>,
  script = 'bare-server.ts',
  nodeArgs: string[] = [],
): Promise<BareServer> {
  const args = [
    ...nodeArgs,
    ...benchNodeArgs(),
    '--import',
    'tsx',
    ...eventLoopReport(),
    path.join(ROOT, 'bench', script),
  ];
  const child = spawn(process.execPath, args, {
    cwd: ROOT,
    env: { PATH: process.env.PATH, BENCH_REPORT_ROLE: script.replace(/\.ts$/, ''), ...env },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const exited = new Promise((resolve) => child.once('exit', resolve));
  const port = await new Promise<number>((resolve, reject) => {
    child.once('message', (m: { type: string; port: number }) => resolve(m.port));
    child.once('exit', (code) => reject(new Error(`bench/${script} exited (${code})`)));
  });
  return {
    origin: `http://127.0.0.1:${port}`,
    pid: child.pid as number,
    send: (nonce) => child.send({ type: 'send', nonce }),
    stop: async () => {
      child.disconnect();
      await exited;
    },
  };
}

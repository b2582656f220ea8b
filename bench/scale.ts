/**
 * `npm run bench:scale` (also part of `npm run bench`): issue 16's load shapes, on this box with the
 * load generator on it. Plexichat runs in child processes (bench/harness.ts); this process plays
 * the users over real HTTP and socket.io. Parts (BENCH_PARTS, comma-separated, default all):
 * - ceiling: BullMQ's own no-op throughput on the same Redis (the yardstick the figures are put beside);
 * - cpu: the load shape below at BENCH_CPU_RATE msg/s (150) for BENCH_CPU_SECONDS (20) on a Redis
 *   of its own: CPU-ms per message of every process involved (bench/cpu.ts) and the ceiling it
 *   implies on this machine's cores; with BENCH_PROFILE=<dir>, also the window's bounds and each
 *   profiled process's role for `npx tsx bench/profile-summary.ts <dir>`;
 * - floor: the same world, rate and seconds against bench/message-floor.ts (the design's packages,
 *   express + pg + ioredis + BullMQ + socket.io with @socket.io/redis-adapter, doing one message's
 *   minimum work: session lookup, a Lua rate-limit counter, queue.add and the wait for the result,
 *   the worker's insert and the room broadcast) on a fresh Redis of its own, after Plexichat has
 *   stopped: its CPU-ms per message by process, and with cpu, both side by side with the ratio
 *   and the rate each implies on this machine's cores (BENCH_PROFILE: its profiles in <dir>/floor;
 *   BENCH_FLOOR_RATES=r1,r2,...: then the load part's open-loop steps at those rates against it).
 *   Measured 2026-12-07 (bench/RESULTS.md): at 150 msg/s Plexichat 8.44-11.34 CPU-ms per message in
 *   all (load generator included), the floor 6.43-7.14 (1.31-1.68x); at 1,000 offered
 *   (BENCH_CPU_RATE=1000 BENCH_CPU_SECONDS=10, both saturated) Plexichat 5.11-6.27 carrying 260-276
 *   msg/s, the floor 1.95-2.67 carrying 725-985 msg/s (2.35-2.58x): CPU per message falls as the
 *   rate rises, and the stack alone carries ~1,000 msg/s here (p99 312-499 ms on a quiet box), and
 *   holds p99 < 100 ms up to ~800 msg/s (BENCH_FLOOR_RATES steps of 10 s: p99 98 ms at 800, 165 at 900).
 *   Those figures were taken with `fetch` as the sending client; with the pooled client below, the
 *   same day, the floor accepted 997 msg/s at p99 94.7 ms and Plexichat ~565 msg/s;
 * - load: 100 channels in 10 servers, 10 members each, one socket.io client per member (every
 *   message is 10 deliveries); sends over at most BENCH_CLIENT_CONNECTIONS (400: four per member)
 *   kept-alive connections (harness pooledPost); after a warm-up of BENCH_LOAD_WARMUP_SECONDS (5) at
 *   the first rate, not reported, offered rates BENCH_RATES (msg/s) for BENCH_STEP_SECONDS each:
 *   accepted/s, send->answer and send->deliver p50/p99, the messages queue's queued and processing
 *   times, delivered %, per-channel id order at every client, errors;
 * - fanout: one message to BENCH_FANOUT_CLIENTS clients in one channel, spread over
 *   BENCH_FANOUT_THREADS (2) worker threads, lean clients unless BENCH_FANOUT_CLIENT=socket.io: first
 *   and last delivery p50/p99, the load generator's CPU, and whether every client got every message
 *   once (and, lean, every frame's `s` in sequence);
 * - history: GET a page of 50 (random `before`) on a channel of BENCH_HISTORY_ROWS messages;
 * - connections: BENCH_IDLE_CONNECTIONS idle gateway connections held by one process
 *   (start.mode single): its RSS after connecting, its peak over BENCH_IDLE_SECONDS (60) idle, and
 *   its RSS, V8 heap and malloc growth per connection after full GCs (bench/memory-probe.ts) from
 *   half the connections to all; BENCH_CONNECTIONS_ENV=NAME=value,... adds to that process's environment.
 * load, fanout and history run against BENCH_START_MODE (multi by default: the supervisor with a
 * web process per core). BENCH_EVENT_LOOP=1: every Plexichat process (and yardstick) reports its
 * event loop and garbage collections every 5 s (bench/event-loop-report.ts). Each load step also
 * prints the server's phases of a send (Server-Timing: auth, limit, access, claim, queue, job,
 * total; the harness turns server.timing on unless BENCH_SERVER_TIMING=0). Prints figures; asserts
 * nothing.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { Worker as Thread } from 'node:worker_threads';
import { Queue, Worker } from 'bullmq';
import pg from 'pg';
import { Redis } from 'ioredis';
import { issueSession } from '../shared/accounts/sessions.js';
import { loadConfig } from '../shared/config/index.js';
import { ensureDatabase } from '../shared/db/ensure-database.js';
import { createRuntime, type Runtime } from '../shared/runtime.js';
import { decodeSnowflake } from '../shared/snowflake.js';
import type { MemoryReading } from './memory-probe.js';
import type { FanoutWorkerData, FromWorker, ToWorker } from './fanout-worker.js';
import { connect, connectMany } from './gateway-clients.js';
import {
  cpuDelta,
  cpuMeter,
  cpuReport,
  cpuSnapshot,
  processLabels,
  type CpuDelta,
  type CpuScope,
} from './cpu.js';
import {
  call,
  CONNECTIONS_PER_USER,
  DATABASE_URL,
  dropHistory,
  keptAliveGet,
  ms,
  percentile,
  pooledPost,
  raiseFileLimit,
  rssKb,
  REDIS_URL,
  ROOT,
  seedHistory,
  startBareServer,
  startPlexichat,
  startPrivateRedis,
  stats,
  treeCpuMs,
  type Plexichat,
} from './harness.js';

const env = process.env;
const PARTS = new Set((env.BENCH_PARTS ?? 'ceiling,cpu,floor,load,fanout,history,connections').split(','));
const MODE = env.BENCH_START_MODE === 'single' ? 'single' : 'multi';
/** Web processes Plexichat runs in MODE here (one per core in multi): the bare server runs as many. */
const WEB_PROCESSES = MODE === 'multi' ? os.availableParallelism() : 1;
const RATES = (env.BENCH_RATES ?? '100,200,400,1000,1600').split(',').map(Number);
const STEP_SECONDS = Number(env.BENCH_STEP_SECONDS ?? 5);
const CPU_RATE = Number(env.BENCH_CPU_RATE ?? 150);
const CPU_SECONDS = Number(env.BENCH_CPU_SECONDS ?? 20);
/** Before the measured window: a warm-up at the same rate (JIT, pools, caches), then an idle window. */
const CPU_WARMUP_SECONDS = 5;
const CPU_IDLE_SECONDS = 5;
const SETTLE_SECONDS = Number(env.BENCH_SETTLE_SECONDS ?? 20);
const SERVERS = 10;
const CHANNELS_PER_SERVER = 10;
const MEMBERS_PER_SERVER = 10;
/**
 * The load part's sends go over at most this many HTTP connections (harness pooledPost): four per
 * member, as a browser keeps several to one host. With one per member, a member had one send in
 * flight, so a step could not pass connections / answer time (100 / ~170 ms at 600 msg/s offered):
 * the client, not the server, was the wall.
 */
const CLIENT_CONNECTIONS = Number(env.BENCH_CLIENT_CONNECTIONS ?? 4 * SERVERS * MEMBERS_PER_SERVER);
/** Before the load part's steps: this long at the first rate, not reported (JIT, pools, caches). */
const LOAD_WARMUP_SECONDS = Number(env.BENCH_LOAD_WARMUP_SECONDS ?? 5);
const FANOUT_CLIENTS = Number(env.BENCH_FANOUT_CLIENTS ?? 5000);
const FANOUT_MESSAGES = Number(env.BENCH_FANOUT_MESSAGES ?? 30);
/** Worker threads the fan-out clients are spread over (each parses its share of the frames). */
const FANOUT_THREADS = Math.max(1, Number(env.BENCH_FANOUT_THREADS ?? 2));
/**
 * The fan-out clients: `lean` (bench/lean-gateway-client.ts, the protocol over `ws`, ~1/3 of the
 * load generator's CPU) or `socket.io` (socket.io-client, as the earlier runs in bench/RESULTS.md).
 */
const FANOUT_CLIENT = env.BENCH_FANOUT_CLIENT === 'socket.io' ? 'socket.io' : 'lean';
const HISTORY_ROWS = Number(env.BENCH_HISTORY_ROWS ?? 1_000_000);
const HISTORY_PAGES = Number(env.BENCH_HISTORY_PAGES ?? 500);
const IDLE_CONNECTIONS = Number(env.BENCH_IDLE_CONNECTIONS ?? 20_000);
/** How long the connections part watches RSS with every connection open and idle. */
const IDLE_SECONDS = Number(env.BENCH_IDLE_SECONDS ?? 60);

const sleep = (millis: number) => new Promise((resolve) => setTimeout(resolve, millis));

/** A runtime in this process on the child's database and Redis prefix: creates users without scrypt. */
async function benchRuntime(app: Plexichat): Promise<Runtime> {
  const config = loadConfig({
    env: { HOME: '/nonexistent' },
    overrides: {
      log: { level: 'warn' },
      database: { url: DATABASE_URL, pool: { max: 5 } },
      redis: { url: app.redisUrl, key_prefix: app.prefix },
    },
  });
  return createRuntime(config, 'bench');
}

/** `count` users with a session each (created directly: registration's scrypt is not what is measured). */
async function users(rt: Runtime, count: number): Promise<{ id: string; token: string }[]> {
  return Promise.all(
    Array.from({ length: count }, async () => {
      const id = rt.snowflake.next();
      const user = await rt.models.User.create({
        id,
        username: `bench_${crypto.randomBytes(5).toString('hex')}`,
        created_at: new Date(decodeSnowflake(id).timestampMs),
      });
      const { token } = await issueSession(rt, user, { ip: '127.0.0.1', userAgent: 'bench' });
      return { id, token };
    }),
  );
}

/** A server owned by `owner` with `channels` text channels (the default one first), joined by `members`. */
async function serverWith(
  app: Plexichat,
  owner: string,
  members: string[],
  channels: number,
): Promise<{ id: string; channels: string[] }> {
  const server = await call(app.base, 'POST', '/servers', owner, { name: 'bench' });
  const ids = (
    await call<{ id: string; channel_type: string }[]>(
      app.base,
      'GET',
      `/servers/${server.id}/channels`,
      owner,
    )
  )
    .filter((c) => c.channel_type === 'text')
    .map((c) => c.id);
  while (ids.length < channels) {
    const c = await call(app.base, 'POST', `/servers/${server.id}/channels`, owner, {
      name: `c${ids.length}`,
      channel_type: 'text',
    });
    ids.push(c.id);
  }
  const invite = await call<{ code: string }>(app.base, 'POST', `/channels/${ids[0]}/invites`, owner, {
    max_uses: 0,
    max_age: 0,
  });
  for (const token of members) await call(app.base, 'POST', `/invites/${invite.code}`, token);
  return { id: server.id, channels: ids.slice(0, channels) };
}

/** BullMQ's ceiling on this Redis: jobs/s through a worker whose processor does nothing. */
async function bullmqCeiling(): Promise<number> {
  const jobs = 20_000;
  const prefix = `bench-noop-${crypto.randomBytes(3).toString('hex')}`;
  const connection = new Redis(REDIS_URL, { maxRetriesPerRequest: null });
  const queue = new Queue('noop', { connection, prefix });
  let done = 0;
  let finished: () => void = () => undefined;
  const all = new Promise<void>((resolve) => (finished = resolve));
  const started = performance.now();
  const worker = new Worker('noop', () => Promise.resolve(), {
    connection: connection.duplicate(),
    prefix,
    concurrency: 100,
  });
  worker.on('completed', () => {
    if (++done === jobs) finished();
  });
  for (let i = 0; i < jobs; i += 1000) {
    await queue.addBulk(
      Array.from({ length: 1000 }, () => ({ name: 'noop', data: {}, opts: { removeOnComplete: true } })),
    );
  }
  await all;
  const perSecond = jobs / ((performance.now() - started) / 1000);
  await worker.close();
  await queue.obliterate({ force: true });
  await queue.close();
  connection.disconnect();
  console.log(
    `BullMQ no-op ceiling: ${Math.round(perSecond).toLocaleString('en')} jobs/s (20,000 jobs, concurrency 100)`,
  );
  return perSecond;
}

/** Step results of the load part, for the summary table. */
interface StepResult {
  offered: number;
  acceptedPerSecond: number;
  p50: number;
  p99: number;
  deliveredPct: number;
  delivered: number;
  expected: number;
  outOfOrder: number;
  errors: number;
  /** When the step's sends started (epoch ms: BullMQ's job timestamps are epoch ms). */
  startedAtMs: number;
  /** Send -> the API's answer (the stored message), p50 and p99. */
  answerP50: number;
  answerP99: number;
  /** The server's phases of the stored sends (serverPhases); '' without server.timing. */
  phases: string;
}

/** The load part's users, servers and connected clients, and one open-loop step at a rate. */
interface LoadWorld {
  clients: number;
  /** Offers `rate` msg/s for `seconds`, then waits (up to BENCH_SETTLE_SECONDS) for the deliveries. */
  step(rate: number, seconds: number): Promise<StepResult & { accepted: number; firstError: string }>;
  close(): void;
}

/** The load part's people: users with a session each, in servers of channels (rows in the bench database). */
interface LoadCast {
  people: { id: string; token: string }[];
  /** The members of each server, in server order (the first one owns it). */
  groups: { id: string; token: string }[][];
  servers: { id: string; channels: string[] }[];
}

/** 100 channels in 10 servers, 10 members each (set up over Plexichat's API). */
async function loadCast(app: Plexichat, rt: Runtime): Promise<LoadCast> {
  const people = await users(rt, SERVERS * MEMBERS_PER_SERVER);
  const groups = Array.from({ length: SERVERS }, (_, s) =>
    people.slice(s * MEMBERS_PER_SERVER, (s + 1) * MEMBERS_PER_SERVER),
  );
  const servers = await Promise.all(
    groups.map((g) =>
      serverWith(
        app,
        g[0]?.token as string,
        g.slice(1).map((m) => m.token),
        CHANNELS_PER_SERVER,
      ),
    ),
  );
  return { people, groups, servers };
}

/**
 * One socket.io client per member of `cast` on `target`'s gateway, and sends to its API: the same
 * world drives Plexichat and bench/message-floor.ts (which reads the same users, sessions and
 * channels from the database).
 */
async function loadWorld(target: Pick<Plexichat, 'origin' | 'base'>, cast: LoadCast): Promise<LoadWorld> {
  const setupStarted = performance.now();
  const { people, groups, servers } = cast;
  const app = target;

  // What the clients saw, per step.
  const sentAt = new Map<string, number>();
  let latencies: number[] = [];
  let delivered = 0;
  let outOfOrder = 0;
  const open = (token: string) => {
    const last = new Map<string, bigint>();
    return connect(app.origin, token, (m) => {
      const id = BigInt(m.id);
      const previous = last.get(m.channel_id);
      if (previous !== undefined && id <= previous) outOfOrder += 1;
      last.set(m.channel_id, id);
      const t0 = m.nonce ? sentAt.get(m.nonce) : undefined;
      if (t0 === undefined) return;
      latencies.push(performance.now() - t0);
      delivered += 1;
    });
  };
  const sockets = await connectMany(people.length, 20, (i) => open(people[i]?.token as string));
  console.log(
    `load: ${SERVERS} servers x ${CHANNELS_PER_SERVER} channels, ${people.length} members, ` +
      `${sockets.length} clients on ${app.origin} (connected in ${((performance.now() - setupStarted) / 1000).toFixed(1)} s)`,
  );

  const channelCount = SERVERS * CHANNELS_PER_SERVER;
  const client = pooledPost(app.base, CLIENT_CONNECTIONS);
  const step = async (rate: number, stepSeconds: number) => {
    latencies = [];
    delivered = 0;
    outOfOrder = 0;
    let accepted = 0;
    let errors = 0;
    let firstError = '';
    let lastAnswer = 0;
    const answers: number[] = [];
    const timings: string[] = [];
    const startedAtMs = Date.now();
    const total = Math.round(rate * stepSeconds);
    const inFlight: Promise<void>[] = [];
    const started = performance.now();
    const send = async (i: number): Promise<void> => {
      const c = i % channelCount;
      const server = servers[Math.floor(c / CHANNELS_PER_SERVER)];
      const sender =
        groups[Math.floor(c / CHANNELS_PER_SERVER)]?.[Math.floor(i / channelCount) % MEMBERS_PER_SERVER];
      const channelId = server?.channels[c % CHANNELS_PER_SERVER] as string;
      const nonce = crypto.randomBytes(8).toString('hex');
      const t0 = performance.now();
      sentAt.set(nonce, t0);
      try {
        const res = await client.post(`/channels/${channelId}/messages`, sender?.token as string, {
          content: `load ${i}`,
          nonce,
        });
        const text = res.text;
        answers.push(performance.now() - t0);
        if (res.timing && res.status === 200) timings.push(res.timing);
        // send_pending: queued, not stored within queues.send_wait_ms; it is still stored and delivered.
        if ((res.status >= 200 && res.status < 300) || text.includes('"code":"send_pending"')) accepted += 1;
        else {
          errors += 1;
          firstError ||= `${res.status} ${text.slice(0, 200)}`;
        }
      } catch (err) {
        errors += 1;
        firstError ||= (err as Error).message;
      }
      lastAnswer = performance.now();
    };
    // Open loop: sends go out on schedule whatever the answers take (a late tick sends what is due).
    let next = 0;
    while (next < total) {
      const due = Math.min(total, Math.floor(((performance.now() - started) / 1000) * rate) + 1);
      while (next < due) inFlight.push(send(next++));
      await sleep(Math.max(0, started + (next * 1000) / rate - performance.now()));
    }
    await Promise.all(inFlight);
    const expected = accepted * MEMBERS_PER_SERVER;
    const settleEnd = performance.now() + SETTLE_SECONDS * 1000;
    while (delivered < expected && performance.now() < settleEnd) await sleep(20);
    const seconds = Math.max(stepSeconds, (lastAnswer - started) / 1000);
    sentAt.clear();
    return {
      offered: rate,
      accepted,
      firstError,
      acceptedPerSecond: accepted / seconds,
      p50: percentile(latencies, 50),
      p99: percentile(latencies, 99),
      deliveredPct: expected === 0 ? 0 : (100 * delivered) / expected,
      delivered,
      expected,
      outOfOrder,
      errors,
      startedAtMs,
      answerP50: percentile(answers, 50),
      answerP99: percentile(answers, 99),
      phases: serverPhases(timings),
    };
  };
  return {
    clients: sockets.length,
    step,
    close: () => {
      for (const s of sockets) s.disconnect();
      client.close();
    },
  };
}

/**
 * The server's own account of a step's stored sends (Server-Timing, on in the bench unless
 * BENCH_SERVER_TIMING=0): p50 / p99 of each phase (auth, limit, access, claim, queue, job...) and
 * of the total, in the order they happen; '' when the server sent none.
 */
function serverPhases(headers: string[]): string {
  const byPhase = new Map<string, number[]>();
  for (const header of headers) {
    for (const entry of header.split(', ')) {
      const [name, dur] = entry.split(';dur=');
      if (!name || dur === undefined) continue;
      let list = byPhase.get(name);
      if (!list) byPhase.set(name, (list = []));
      list.push(Number(dur));
    }
  }
  return [...byPhase]
    .map(([name, list]) => `${name} ${percentile(list, 50).toFixed(1)}/${percentile(list, 99).toFixed(1)}`)
    .join(', ');
}

/**
 * Where a step's sends spent their time in the messages queue, from BullMQ's own timestamps of
 * the step's completed jobs (the last queues.keep_completed): added -> taken by a worker (queued)
 * and taken -> completed (stored, relayed: the batch, the order hold, the outbox relay).
 */
async function queueStages(messages: Queue, since: number): Promise<string> {
  const jobs = (await messages.getJobs(['completed'], 0, 999)).filter((j) => j.timestamp >= since);
  const queued = jobs.map((j) => (j.processedOn ?? j.timestamp) - j.timestamp);
  const working = jobs.map((j) => (j.finishedOn ?? 0) - (j.processedOn ?? 0));
  return (
    `queued p50 ${ms(percentile(queued, 50))} / p99 ${ms(percentile(queued, 99))}, ` +
    `processing p50 ${ms(percentile(working, 50))} / p99 ${ms(percentile(working, 99))} (${jobs.length} jobs)`
  );
}

/**
 * Open-loop steps at `rates` (msg/s) on `world`, after a warm-up at the first, each printed, then a
 * table of them all.
 */
async function loadShape(
  world: LoadWorld,
  ceiling: number | null,
  rates = RATES,
  /** Plexichat's messages queue: each step also prints its jobs' stages (queueStages). */
  messages?: Queue,
): Promise<void> {
  const results: StepResult[] = [];
  if (LOAD_WARMUP_SECONDS > 0 && rates[0] !== undefined) {
    // A cold first step measured the JIT and the pools filling (p99 of seconds at 300 msg/s).
    const warm = await world.step(rates[0], LOAD_WARMUP_SECONDS);
    console.log(
      `load warm-up: ${rates[0]} msg/s for ${LOAD_WARMUP_SECONDS} s, not in the table ` +
        `(${Math.round(warm.acceptedPerSecond)}/s accepted, errors ${warm.errors})`,
    );
    await sleep(1000);
  }
  for (const rate of rates) {
    // The load generator's own loop: a delivery it reads late counts as a late delivery, so a tail
    // in the table may be the client's (it shares the two cores with the server).
    const clientLoop = monitorEventLoopDelay({ resolution: 5 });
    clientLoop.enable();
    const result = await world.step(rate, STEP_SECONDS);
    clientLoop.disable();
    results.push(result);
    console.log(
      `load ${rate} msg/s: send -> answer p50 ${ms(result.answerP50)} / p99 ${ms(result.answerP99)}` +
        (messages ? `; ${await queueStages(messages, result.startedAtMs)}` : '') +
        `; load generator loop delay p99 ${ms(clientLoop.percentile(99) / 1e6)} / max ` +
        `${ms(clientLoop.max / 1e6)}` +
        (result.phases ? `; server phases p50/p99 ms: ${result.phases}` : ''),
    );
    console.log(
      `load ${rate} msg/s offered for ${STEP_SECONDS} s: ${Math.round(result.acceptedPerSecond)}/s accepted` +
        (ceiling
          ? ` (${((100 * result.acceptedPerSecond) / ceiling).toFixed(1)}% of the BullMQ no-op ceiling)`
          : '') +
        `; send->deliver p50 ${ms(result.p50)}, p99 ${ms(result.p99)}; delivered ${result.delivered}/` +
        `${result.expected} (${result.deliveredPct.toFixed(2)}%); out of order ${result.outOfOrder}; ` +
        `errors ${result.errors}` +
        (result.firstError ? ` (first: ${result.firstError})` : ''),
    );
    await sleep(1000);
  }
  console.log(
    '\n| offered | accepted | vs BullMQ no-op | send -> deliver p50 / p99 | delivered | out of order | errors |',
  );
  console.log('|---|---|---|---|---|---|---|');
  for (const r of results) {
    console.log(
      `| ${r.offered} msg/s | ${Math.round(r.acceptedPerSecond)}/s | ` +
        `${ceiling ? `${((100 * r.acceptedPerSecond) / ceiling).toFixed(1)}%` : '-'} | ` +
        `${ms(r.p50)} / ${ms(r.p99)} | ${r.deliveredPct.toFixed(2)}% | ${r.outOfOrder} | ${r.errors} |`,
    );
  }
  console.log('');
}

/** The shared Redis's process (CPU accounting when no private one could be started). */
function sharedRedisPid(): number | null {
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const cmdline = fs.existsSync(`/proc/${entry}/cmdline`)
      ? fs.readFileSync(`/proc/${entry}/cmdline`, 'utf8')
      : '';
    if (cmdline.startsWith('redis-server') && cmdline.includes(':6379')) return Number(entry);
  }
  return null;
}

/** Calls and time per command from Redis's INFO commandstats. */
function parseCommandStats(info: string): Map<string, { calls: number; usec: number }> {
  const out = new Map<string, { calls: number; usec: number }>();
  for (const match of info.matchAll(/^cmdstat_([^:]+):calls=(\d+),usec=(\d+)/gm)) {
    out.set(match[1] as string, { calls: Number(match[2]), usec: Number(match[3]) });
  }
  return out;
}

/** Commands run between two INFO commandstats readings, most frequent first (INFO itself left out). */
function commandStatsDelta(
  before: Map<string, { calls: number; usec: number }>,
  after: Map<string, { calls: number; usec: number }>,
): { name: string; calls: number; usecPerCall: number }[] {
  return [...after]
    .filter(([name]) => name !== 'info')
    .map(([name, now]) => {
      const then = before.get(name) ?? { calls: 0, usec: 0 };
      const calls = now.calls - then.calls;
      return { name, calls, usecPerCall: calls ? (now.usec - then.usec) / calls : 0 };
    })
    .filter((c) => c.calls > 0)
    .sort((a, b) => b.calls - a.calls);
}

/** Transactions committed in the bench database so far (pg_stat_database; a statement alone is one). */
async function databaseTransactions(): Promise<number> {
  const client = new pg.Client({ connectionString: DATABASE_URL });
  await client.connect();
  try {
    const { rows } = await client.query<{ n: string }>(
      'SELECT xact_commit::text AS n FROM pg_stat_database WHERE datname = current_database()',
    );
    return Number(rows[0]?.n ?? 0);
  } finally {
    await client.end();
  }
}

/** Monotonic clock in µs: the clock V8's CPU profiles stamp their samples with. */
const monotonicUs = () => Number(process.hrtime.bigint() / 1000n);

/**
 * With BENCH_PROFILE, the measured window beside the CPU profiles (bench/profile-summary.ts counts
 * only its samples, per `units`: messages in the cpu and floor parts, pages in the history part);
 * `dir`: where those profiles are (the floor's go to BENCH_PROFILE/floor).
 */
function writeProfileWindow(
  scope: CpuScope,
  startUs: number,
  endUs: number,
  units: number,
  load: CpuDelta,
  dir = process.env.BENCH_PROFILE,
) {
  if (!dir) return;
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(
    path.join(dir, 'window.json'),
    JSON.stringify({
      startUs,
      endUs,
      messages: units,
      roles: processLabels(scope),
      cpuMs: Object.fromEntries(load.rows.map((r) => [r.label, r.ms])),
    }),
  );
}

/** What one measured window of the cpu or floor part gave, to set one beside the other. */
interface CpuRun {
  load: CpuDelta;
  messages: number;
  p50: number;
  p99: number;
}

/**
 * The measured window of the cpu and floor parts on `world`: a warm-up at CPU_RATE, an idle
 * window, then CPU_RATE msg/s for CPU_SECONDS with every process in `scope` metered; prints the
 * report (lines starting with `name`), Postgres transactions and, when `redisUrl` is a Redis of
 * the run's own, the Redis commands per message.
 */
async function measureCpu(
  name: string,
  description: string,
  world: LoadWorld,
  scope: CpuScope,
  redisUrl: string | null,
): Promise<CpuRun & { startUs: number; endUs: number }> {
  await world.step(CPU_RATE, CPU_WARMUP_SECONDS);
  await sleep(2000);
  const idleStart = cpuSnapshot(scope);
  const idleMeter = cpuMeter(scope);
  await sleep(CPU_IDLE_SECONDS * 1000);
  const idle = cpuDelta(idleStart, idleMeter.stop());
  const redisStats = redisUrl ? new Redis(redisUrl) : null;
  const commandsBefore = redisStats ? parseCommandStats(await redisStats.info('commandstats')) : null;
  const xactsBefore = await databaseTransactions();
  const startUs = monotonicUs();
  const before = cpuSnapshot(scope);
  const meter = cpuMeter(scope);
  const result = await world.step(CPU_RATE, CPU_SECONDS);
  const load = cpuDelta(before, meter.stop());
  const endUs = monotonicUs();
  console.log(
    `${name}: ${CPU_RATE} msg/s offered for ${CPU_SECONDS} s (${description}, ${world.clients} clients, ` +
      `10 deliveries per message): ${result.accepted} accepted, ${result.delivered}/${result.expected} ` +
      `delivered, send->deliver p50 ${ms(result.p50)}, p99 ${ms(result.p99)}, out of id order ` +
      `${result.outOfOrder}, errors ${result.errors}` +
      (result.firstError ? ` (first: ${result.firstError})` : '') +
      `; window ${load.seconds.toFixed(1)} s (until the last delivery)`,
  );
  for (const line of cpuReport(load, result.accepted, os.availableParallelism(), idle)) console.log(line);
  const xacts = (await databaseTransactions()) - xactsBefore;
  console.log(
    `\n${name}: Postgres ${(xacts / result.accepted).toFixed(2)} transactions per message (pg_stat_database)`,
  );
  if (redisStats && commandsBefore) {
    const commands = commandStatsDelta(
      commandsBefore,
      parseCommandStats(await redisStats.info('commandstats')),
    );
    const calls = commands.reduce((n, c) => n + c.calls, 0);
    console.log(
      `${name}: Redis ${(calls / result.accepted).toFixed(1)} commands per message (INFO commandstats; ` +
        'a script counts once, and again for each call it makes):',
    );
    console.log('| command | per message | µs per call (in Redis) |\n| --- | --- | --- |');
    for (const c of commands.slice(0, 30))
      console.log(`| ${c.name} | ${(c.calls / result.accepted).toFixed(2)} | ${c.usecPerCall.toFixed(1)} |`);
  }
  redisStats?.disconnect();
  console.log('');
  return { load, messages: result.accepted, p50: result.p50, p99: result.p99, startUs, endUs };
}

/** The CPU scope of a run: its top process, its Redis (own, or the shared one), the bench database. */
function runScope(pid: number, redis: { pid: number } | null): CpuScope {
  const redisPid = redis?.pid ?? sharedRedisPid();
  return {
    plexichatPid: pid,
    redis: redisPid ? { pid: redisPid, shared: !redis } : null,
    database: new URL(DATABASE_URL).pathname.slice(1),
  };
}

/**
 * The cpu part: Plexichat on a Redis of its own, the load shape at a fixed rate well under
 * saturation, and every process's CPU time over the window (bench/cpu.ts). The floor part: the
 * same world, rate and seconds against bench/message-floor.ts (the design's packages doing one
 * message's minimum work) on a fresh Redis of its own, after Plexichat has stopped; with both, the
 * two side by side.
 */
async function cpuAccounting(): Promise<void> {
  const redis = await startPrivateRedis();
  if (!redis) console.log('cpu: redis-server is not installed: the shared Redis serves others too');
  const app = await startPlexichat(MODE, {
    PLEXICHAT_VOICE__ENABLED: 'false',
    ...(redis ? { PLEXICHAT_REDIS__URL: redis.url } : {}),
  });
  const rt = await benchRuntime(app);
  let cast: LoadCast;
  let plexichat: CpuRun | null = null;
  try {
    cast = await loadCast(app, rt);
    if (PARTS.has('cpu')) {
      const world = await loadWorld(app, cast);
      const scope = runScope(app.pid, redis);
      const run = await measureCpu(
        'cpu',
        `Plexichat, start.mode ${MODE}${process.env.BENCH_PROFILE ? ', CPU profiles on, which add their own cost' : ''}`,
        world,
        scope,
        redis ? app.redisUrl : null,
      );
      writeProfileWindow(scope, run.startUs, run.endUs, run.messages, run.load);
      plexichat = run;
      world.close();
    }
  } finally {
    await rt.lifecycle.close();
    await app.stop();
    await redis?.stop();
  }
  if (PARTS.has('floor')) {
    const floor = await messageFloor(cast);
    if (plexichat) for (const line of floorComparison(plexichat, floor)) console.log(line);
  }
}

/** The floor part's run: bench/message-floor.ts with as many web processes as Plexichat, driven by `cast`. */
async function messageFloor(cast: LoadCast): Promise<CpuRun> {
  const redis = await startPrivateRedis();
  // BENCH_PROFILE: every floor process (the primary's workers inherit the arguments) profiled apart.
  const profileDir = process.env.BENCH_PROFILE ? path.join(process.env.BENCH_PROFILE, 'floor') : null;
  const floor = await startBareServer(
    {
      FLOOR_WEB_PROCESSES: String(WEB_PROCESSES),
      FLOOR_DATABASE_URL: DATABASE_URL,
      FLOOR_REDIS_URL: redis?.url ?? REDIS_URL,
    },
    'message-floor.ts',
    profileDir ? ['--cpu-prof', `--cpu-prof-dir=${profileDir}`] : [],
  );
  try {
    const world = await loadWorld({ origin: floor.origin, base: `${floor.origin}/api/v1` }, cast);
    const scope = runScope(floor.pid, redis);
    const run = await measureCpu(
      'floor',
      `message floor: ${WEB_PROCESSES} web processes + 1 workers, express + pg + ioredis + BullMQ + ` +
        `socket.io with the Redis adapter, no application${profileDir ? ', CPU profiles on' : ''}`,
      world,
      scope,
      redis?.url ?? null,
    );
    if (profileDir) writeProfileWindow(scope, run.startUs, run.endUs, run.messages, run.load, profileDir);
    // BENCH_FLOOR_RATES: the load part's open-loop steps against the floor too (where it saturates).
    if (env.BENCH_FLOOR_RATES) {
      console.log('floor: open-loop steps against the message floor');
      await loadShape(world, null, env.BENCH_FLOOR_RATES.split(',').map(Number));
    }
    world.close();
    return run;
  } finally {
    await floor.stop();
    await redis?.stop();
  }
}

/**
 * Plexichat's CPU-ms per message beside the floor's, by process (web processes summed), with the
 * ratio and the rate each implies on this machine's cores.
 */
function floorComparison(plexichat: CpuRun, floor: CpuRun): string[] {
  const rowOf = (label: string) =>
    label.startsWith('web ')
      ? 'web processes (API + gateway)'
      : label.startsWith('redis-server')
        ? 'redis-server'
        : label;
  const perMessage = (run: CpuRun) => {
    const out = new Map<string, number>();
    for (const r of run.load.rows) {
      if (r.label.includes('not in total')) continue;
      out.set(rowOf(r.label), (out.get(rowOf(r.label)) ?? 0) + r.ms / run.messages);
    }
    return out;
  };
  const a = perMessage(plexichat);
  const b = perMessage(floor);
  const sum = (m: Map<string, number>, skipLoad = false) =>
    [...m].reduce((n, [label, v]) => (skipLoad && label.startsWith('load generator') ? n : n + v), 0);
  const ratio = (x: number, y: number) => (y > 0 ? `${(x / y).toFixed(2)}x` : '-');
  /** Cores kept busy over the window, from the CPU per message. */
  const busy = (run: CpuRun, perMessage: number) =>
    ((perMessage * run.messages) / (run.load.seconds * 1000)).toFixed(2);
  const cores = os.availableParallelism();
  const lines = [
    `floor: CPU-ms per message at ${CPU_RATE} msg/s, Plexichat beside the message floor (same world, rate and seconds):`,
    '| process | Plexichat | floor | Plexichat / floor |',
    '| --- | --- | --- | --- |',
  ];
  for (const label of [...new Set([...a.keys(), ...b.keys()])]) {
    const x = a.get(label) ?? 0;
    const y = b.get(label) ?? 0;
    lines.push(`| ${label} | ${x.toFixed(2)} | ${y.toFixed(2)} | ${ratio(x, y)} |`);
  }
  const [total, floorTotal] = [sum(a), sum(b)];
  const [server, floorServer] = [sum(a, true), sum(b, true)];
  lines.push(
    `| server side (all but the load generator) | ${server.toFixed(2)} | ${floorServer.toFixed(2)} | ${ratio(server, floorServer)} |`,
    `| **total** | **${total.toFixed(2)}** | **${floorTotal.toFixed(2)}** | **${ratio(total, floorTotal)}** |`,
    '',
    `floor: on ${cores} cores (${cores} x 1000 / total CPU-ms per message, load generator included) ` +
      `Plexichat ${Math.round((cores * 1000) / total)} msg/s, the floor ${Math.round((cores * 1000) / floorTotal)} ` +
      `msg/s; server side alone ${Math.round((cores * 1000) / server)} vs ${Math.round((cores * 1000) / floorServer)} ` +
      `msg/s. send->deliver p50 / p99: Plexichat ${ms(plexichat.p50)} / ${ms(plexichat.p99)}, ` +
      `floor ${ms(floor.p50)} / ${ms(floor.p99)}. Over the window (until the last delivery): Plexichat ` +
      `${Math.round(plexichat.messages / plexichat.load.seconds)} msg/s with ${busy(plexichat, total)} of ` +
      `${cores} cores busy, the floor ${Math.round(floor.messages / floor.load.seconds)} msg/s with ` +
      `${busy(floor, floorTotal)}.`,
    // Measured 2026-12-07: the floor's CPU per message fell from 6.4-7.1 ms at 150 msg/s to 1.95-1.98
    // at 1,000 msg/s (Redis commands per message 73 -> 44: QueueEvents' reads, the worker's fetches,
    // socket writes and wakeups are shared by more messages).
    `floor: CPU per message falls as the rate rises (more messages per wakeup, read and write), so a ` +
      `ceiling from a rate under saturation understates what either carries; BENCH_CPU_RATE=1000 ` +
      `measures both at saturation.`,
    '',
  );
  return lines;
}

/** A fan-out client thread (bench/fanout-worker.ts) and what it reports, in order. */
interface FanoutThread {
  worker: Thread;
  next(): Promise<FromWorker>;
}

function fanoutThread(data: FanoutWorkerData): FanoutThread {
  // The thread registers tsx's loader itself (a worker does not inherit it), then loads the module.
  const api = JSON.stringify(import.meta.resolve('tsx/esm/api'));
  const entry = JSON.stringify(new URL('./fanout-worker.ts', import.meta.url).href);
  const worker = new Thread(
    `import(${api}).then(({ register }) => { register(); return import(${entry}); })`,
    { eval: true, workerData: data },
  );
  const queue: FromWorker[] = [];
  const waiting: ((m: FromWorker) => void)[] = [];
  const deliver = (m: FromWorker) => {
    const resolve = waiting.shift();
    if (resolve) resolve(m);
    else queue.push(m);
  };
  worker.on('message', deliver);
  worker.on('error', (err) => deliver({ type: 'failed', error: err.message }));
  return {
    worker,
    next: () => {
      const m = queue.shift();
      return m ? Promise.resolve(m) : new Promise((resolve) => waiting.push(resolve));
    },
  };
}

/** The next report of `thread`, or null after `millis`. */
function nextWithin(thread: FanoutThread, millis: number): Promise<FromWorker | null> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    thread.next(),
    new Promise<null>((resolve) => (timer = setTimeout(() => resolve(null), millis))),
  ]).finally(() => clearTimeout(timer));
}

/** The CPU scope of `app` on the Redis every part but cpu shares (its CPU counted, marked shared). */
function sharedRedisScope(app: Plexichat): CpuScope {
  const redisPid = sharedRedisPid();
  return {
    plexichatPid: app.pid,
    redis: redisPid ? { pid: redisPid, shared: true } : null,
    database: new URL(DATABASE_URL).pathname.slice(1),
  };
}

/** The fan-out clients, spread over BENCH_FANOUT_THREADS worker threads, all connected. */
async function openFanoutClients(
  origin: string,
  tokenOf: (i: number) => string,
): Promise<{ threads: FanoutThread[]; clients: number }> {
  const threads = Array.from({ length: FANOUT_THREADS }, (_, w) =>
    fanoutThread({
      origin,
      // Client i is in thread i % FANOUT_THREADS.
      tokens: Array.from({ length: Math.ceil((FANOUT_CLIENTS - w) / FANOUT_THREADS) }, (_, j) =>
        tokenOf(w + j * FANOUT_THREADS),
      ),
      batch: Math.max(1, Math.round(100 / FANOUT_THREADS)),
      lean: FANOUT_CLIENT === 'lean',
    }),
  );
  let clients = 0;
  for (const thread of threads) {
    const m = await thread.next();
    if (m.type !== 'ready')
      throw new Error(`fanout client thread: ${m.type === 'failed' ? m.error : m.type}`);
    clients += m.clients;
  }
  return { threads, clients };
}

/** What FANOUT_MESSAGES sends measured at the clients (times in ms from the send). */
interface FanoutRun {
  lastDelivery: number[];
  firstDelivery: number[];
  /** The load generator's CPU from the send to the last delivery (all threads). */
  clientCpu: number[];
  /** The busiest client thread's event-loop busy time meanwhile (the parsing floor under the last delivery). */
  threadBusy: number[];
  /** The server's CPU over the complete messages (serverCpu's readings). */
  serverCpu: number;
  incomplete: number;
  /** Clients that got every message exactly once, extra copies, frames out of `s` sequence. */
  everyMessage: number;
  duplicates: number;
  sequenceGaps: number;
}

/**
 * FANOUT_MESSAGES times: every thread told the nonce, `send` it, and wait for every client to have
 * it; then the threads tally and close. `serverCpu` reads the server's CPU-ms so far.
 */
async function measureFanout(
  threads: FanoutThread[],
  send: (i: number, nonce: string) => Promise<void>,
  serverCpu: () => number,
): Promise<FanoutRun> {
  const now = () => performance.timeOrigin + performance.now();
  const run: FanoutRun = {
    lastDelivery: [],
    firstDelivery: [],
    clientCpu: [],
    threadBusy: [],
    serverCpu: 0,
    incomplete: 0,
    everyMessage: 0,
    duplicates: 0,
    sequenceGaps: 0,
  };
  const nonces: string[] = [];
  for (let i = 0; i < FANOUT_MESSAGES; i++) {
    const nonce = crypto.randomBytes(8).toString('hex');
    nonces.push(nonce);
    for (const { worker } of threads) worker.postMessage({ type: 'expect', nonce } satisfies ToWorker);
    await sleep(20); // every thread has taken the nonce
    const server0 = serverCpu();
    const sent = now();
    const cpu0 = process.cpuUsage();
    await send(i, nonce);
    const deadline = performance.now() + 10_000;
    let first = Infinity;
    let last = 0;
    let busy = 0;
    let complete = true;
    for (const thread of threads) {
      // A late report of an earlier (incomplete) message is skipped.
      let m: FromWorker | null;
      do m = await nextWithin(thread, Math.max(0, deadline - performance.now()));
      while (m && !(m.type === 'done' && m.nonce === nonce));
      if (m?.type !== 'done') {
        complete = false;
        continue;
      }
      first = Math.min(first, m.first);
      last = Math.max(last, m.last);
      busy = Math.max(busy, m.busyMs);
    }
    if (!complete) run.incomplete += 1;
    else {
      const used = process.cpuUsage(cpu0);
      run.clientCpu.push((used.user + used.system) / 1000);
      run.serverCpu += serverCpu() - server0;
      run.lastDelivery.push(last - sent);
      run.firstDelivery.push(first - sent);
      run.threadBusy.push(busy);
    }
    await sleep(200);
  }
  for (const thread of threads) {
    thread.worker.postMessage({ type: 'finish', nonces } satisfies ToWorker);
    let m: FromWorker | null;
    do m = await nextWithin(thread, 30_000);
    while (m && m.type !== 'tally');
    if (m?.type === 'tally') {
      run.everyMessage += m.complete;
      run.duplicates += m.duplicates;
      run.sequenceGaps += m.sequenceGaps;
    }
  }
  await Promise.all(threads.map((t) => t.worker.terminate()));
  return run;
}

/** The lines of a FanoutRun, each starting with `label`. */
function printFanout(label: string, run: FanoutRun, clients: number, serverName: string): void {
  const complete = Math.max(1, run.lastDelivery.length);
  console.log(
    `${label}: one message to ${clients} clients, send -> last delivery ${stats(run.lastDelivery)}` +
      ` over ${FANOUT_MESSAGES} messages${run.incomplete ? ` (${run.incomplete} did not reach every client in 10 s)` : ''}`,
  );
  console.log(
    `${label}: send -> first delivery ${stats(run.firstDelivery)}; the load generator's CPU per message ` +
      `(send to last delivery, all threads) ${stats(run.clientCpu)}; busiest client thread's event loop ` +
      `busy ${stats(run.threadBusy)}`,
  );
  console.log(
    `${label}: ${serverName} CPU (/proc, send to last delivery) ${ms(run.serverCpu / complete)} per message = ` +
      `${((1000 * run.serverCpu) / complete / clients).toFixed(1)} µs per delivery`,
  );
  console.log(
    `${label}: ${run.everyMessage}/${clients} clients got every one of the ${FANOUT_MESSAGES} messages exactly ` +
      `once; ${run.duplicates} duplicate deliveries` +
      (FANOUT_CLIENT === 'lean' ? `; ${run.sequenceGaps} frames whose s was not the previous s + 1` : ''),
  );
}

/**
 * One message to FANOUT_CLIENTS clients in one channel, FANOUT_MESSAGES times, then the same
 * clients and sends against bench/bare-server.ts (no application, the same wire protocol and frame
 * size, as many processes as Plexichat's web role): the floor this box puts under the figure.
 */
async function fanout(app: Plexichat, rt: Runtime): Promise<void> {
  const people = await users(rt, Math.ceil(FANOUT_CLIENTS / CONNECTIONS_PER_USER));
  const [owner, ...members] = people;
  if (!owner) throw new Error('no owner');
  const server = await serverWith(
    app,
    owner.token,
    members.map((m) => m.token),
    1,
  );
  const channelId = server.channels[0] as string;
  const scope = sharedRedisScope(app);
  const t0 = performance.now();
  const connectBefore = cpuSnapshot(scope);
  const connectMeter = cpuMeter(scope);
  // Client i connects as user i % people.length.
  const { threads, clients } = await openFanoutClients(
    app.origin,
    (i) => people[i % people.length]?.token as string,
  );
  console.log(
    `fanout: ${clients} ${FANOUT_CLIENT} clients in one channel over ${FANOUT_THREADS} worker threads ` +
      `(connected in ${((performance.now() - t0) / 1000).toFixed(1)} s); CPU per connection by process ` +
      `("per message" is per connection):`,
  );
  const connecting = cpuDelta(connectBefore, connectMeter.stop());
  for (const line of cpuReport(connecting, clients, os.availableParallelism())) console.log(line);
  const windowStart = monotonicUs();
  const cpuBefore = cpuSnapshot(scope);
  const meter = cpuMeter(scope);
  let frameBytes = 0;
  const run = await measureFanout(
    threads,
    async (i, nonce) => {
      const message = await call(app.base, 'POST', `/channels/${channelId}/messages`, owner.token, {
        content: `fanout ${i}`,
        nonce,
      });
      // The dispatch frame: 42["dispatch",{"t":"MESSAGE_CREATE","s":N,"d":<message>}]
      frameBytes = JSON.stringify(message).length + 48;
    },
    () => treeCpuMs(app.pid),
  );
  const load = cpuDelta(cpuBefore, meter.stop());
  writeProfileWindow(scope, windowStart, monotonicUs(), FANOUT_MESSAGES, load);
  printFanout('fanout', run, clients, 'Plexichat (all its processes)');
  console.log('fanout: CPU per message by process over the messages (with the 220 ms between them):');
  for (const line of cpuReport(load, FANOUT_MESSAGES, os.availableParallelism())) console.log(line);
  if (env.BENCH_FANOUT_BARE === '0') return;
  const processes = WEB_PROCESSES;
  const bare = await startBareServer({
    BARE_PROCESSES: String(processes),
    BARE_FRAME_BYTES: String(frameBytes),
  });
  try {
    const opened = await openFanoutClients(bare.origin, () => 'bare');
    const bareRun = await measureFanout(
      opened.threads,
      (_i, nonce) => Promise.resolve(bare.send(nonce)),
      () => treeCpuMs(bare.pid),
    );
    printFanout(
      `fanout, bare ws server (${processes} processes, ${frameBytes}-byte frames)`,
      bareRun,
      opened.clients,
      'bare server',
    );
    const p99 = (values: number[]) => percentile(values, 99);
    console.log(
      `fanout: last delivery p99 Plexichat / bare server = ${ms(p99(run.lastDelivery))} / ` +
        `${ms(p99(bareRun.lastDelivery))} = ${(p99(run.lastDelivery) / p99(bareRun.lastDelivery)).toFixed(2)}x`,
    );
  } finally {
    await bare.stop();
  }
}

async function history(app: Plexichat, rt: Runtime): Promise<void> {
  const [owner] = await users(rt, 1);
  if (!owner) throw new Error('no owner');
  const server = await serverWith(app, owner.token, [], 1);
  const channelId = server.channels[0] as string;
  const seedStart = performance.now();
  await seedHistory(channelId, owner.id, HISTORY_ROWS);
  console.log(
    `history: seeded ${HISTORY_ROWS.toLocaleString('en')} messages in ${((performance.now() - seedStart) / 1000).toFixed(1)} s`,
  );
  try {
    const [newest] = await call<{ id: string }[]>(
      app.base,
      'GET',
      `/channels/${channelId}/messages?limit=1`,
      owner.token,
    );
    const top = BigInt(newest?.id ?? '0');
    const client = keptAliveGet(app.base, owner.token);
    let pageBytes = 0;
    const page = async () => {
      const before = top - BigInt(Math.floor(Math.random() * HISTORY_ROWS)) * (1n << 22n);
      const t0 = performance.now();
      const rows = await client.get<unknown[]>(`/channels/${channelId}/messages?limit=50&before=${before}`);
      if (rows.length === 0) throw new Error('empty history page');
      const took = performance.now() - t0;
      pageBytes = JSON.stringify(rows).length;
      return took;
    };
    for (let i = 0; i < 50; i++) await page(); // warm the pool, the caches and the JIT
    const pages: number[] = [];
    const scope = sharedRedisScope(app);
    const windowStart = monotonicUs();
    const before = cpuSnapshot(scope);
    const meter = cpuMeter(scope);
    for (let i = 0; i < HISTORY_PAGES; i++) pages.push(await page());
    const load = cpuDelta(before, meter.stop());
    writeProfileWindow(scope, windowStart, monotonicUs(), HISTORY_PAGES, load);
    console.log(
      `history: page of 50 (random before) on ${HISTORY_ROWS.toLocaleString('en')} messages, ${HISTORY_PAGES} ` +
        `sequential GETs: ${stats(pages)}; CPU per page by process ("per message" is per page):`,
    );
    for (const line of cpuReport(load, HISTORY_PAGES, os.availableParallelism())) console.log(line);
    client.close();
    if (env.BENCH_HISTORY_BARE !== '0') {
      await bareHistory(pages, pageBytes);
      await stackFloorHistory(pages, channelId, owner.token, top);
    }
  } finally {
    await dropHistory(channelId);
  }
}

/**
 * The same sequential GETs of the same body size against bench/bare-server.ts (no application: a
 * fixed body from memory), from the same client on the same cores: the floor under the history
 * figure on this box, printed beside it.
 */
async function bareHistory(pages: number[], pageBytes: number): Promise<void> {
  const processes = WEB_PROCESSES;
  const bare = await startBareServer({
    BARE_PROCESSES: String(processes),
    BARE_PAGE_BYTES: String(pageBytes),
  });
  try {
    const floor = await timedGets(bare.origin, 'bare', () => '/page');
    console.log(
      `history, bare HTTP server (${processes} processes, ${pageBytes}-byte body from memory), ` +
        `${HISTORY_PAGES} sequential GETs: ${stats(floor)}; ${p99Ratio(pages, floor, 'bare server')}`,
    );
  } finally {
    await bare.stop();
  }
}

/**
 * The same pages from bench/stack-floor.ts: express, pg and ioredis making the page's round trips
 * (session lookup, two Redis calls, Plexichat's own page statement) with no application work, so
 * the figure can be read against what the named packages alone cost on this box.
 */
async function stackFloorHistory(
  pages: number[],
  channelId: string,
  token: string,
  top: bigint,
): Promise<void> {
  const processes = WEB_PROCESSES;
  const floorServer = await startBareServer(
    { STACK_PROCESSES: String(processes), STACK_DATABASE_URL: DATABASE_URL, STACK_REDIS_URL: REDIS_URL },
    'stack-floor.ts',
  );
  try {
    const floor = await timedGets(floorServer.origin, token, () => {
      const before = top - BigInt(Math.floor(Math.random() * HISTORY_ROWS)) * (1n << 22n);
      return `/api/v1/channels/${channelId}/messages?limit=50&before=${before}`;
    });
    console.log(
      `history, stack floor (${processes} processes: express + pg + ioredis, the same round trips and page ` +
        `statement, no application), ${HISTORY_PAGES} sequential GETs: ${stats(floor)}; ` +
        p99Ratio(pages, floor, 'stack floor'),
    );
  } finally {
    await floorServer.stop();
  }
}

/** HISTORY_PAGES sequential GETs of `route()` over one kept-alive connection, after 50 to warm up. */
async function timedGets(origin: string, token: string, route: () => string): Promise<number[]> {
  const client = keptAliveGet(origin, token);
  const get = async () => {
    const t0 = performance.now();
    await client.get<unknown>(route());
    return performance.now() - t0;
  };
  for (let i = 0; i < 50; i++) await get();
  const times: number[] = [];
  for (let i = 0; i < HISTORY_PAGES; i++) times.push(await get());
  client.close();
  return times;
}

function p99Ratio(pages: number[], floor: number[], name: string): string {
  const p99 = (values: number[]) => percentile(values, 99);
  return `p99 Plexichat / ${name} = ${ms(p99(pages))} / ${ms(p99(floor))} = ${(p99(pages) / p99(floor)).toFixed(2)}x`;
}

/**
 * What `app` (started with bench/memory-probe.ts) holds after full garbage collections: signals it,
 * waits for its reading.
 */
async function memoryAfterGc(pid: number, dir: string, n: number): Promise<MemoryReading> {
  process.kill(pid, 'SIGWINCH');
  const file = path.join(dir, `memory-${n}.json`);
  while (!fs.existsSync(file)) await sleep(200);
  return JSON.parse(fs.readFileSync(file, 'utf8')) as MemoryReading;
}

/** Extra environment for the connections part's server: BENCH_CONNECTIONS_ENV=NAME=value,NAME=value. */
function connectionsEnv(): Record<string, string> {
  const pairs = (env.BENCH_CONNECTIONS_ENV ?? '').split(',').filter(Boolean);
  return Object.fromEntries(pairs.map((p) => [p.slice(0, p.indexOf('=')), p.slice(p.indexOf('=') + 1)]));
}

async function connections(count: number): Promise<void> {
  const dir = fs.mkdtempSync('/tmp/plexichat-bench-memory-');
  const app = await startPlexichat(
    'single',
    { PLEXICHAT_VOICE__ENABLED: 'false', BENCH_MEMORY_DIR: dir, ...connectionsEnv() },
    ['--expose-gc', '--import', path.join(ROOT, 'bench/memory-probe.ts')],
  );
  const rt = await benchRuntime(app);
  try {
    const people = await users(rt, Math.ceil(count / CONNECTIONS_PER_USER));
    const tokenOf = (i: number) => people[i % people.length]?.token as string;
    // Settle what the first connections allocate before the baseline.
    await connectMany(50, 50, (i) => connect(app.origin, tokenOf(i))).then((s) =>
      s.forEach((x) => x.disconnect()),
    );
    await sleep(2000);
    const before = await memoryAfterGc(app.pid, dir, 1);
    const fdsOf = () => fs.readdirSync(`/proc/${app.pid}/fd`).length;
    const ownFds = fdsOf();
    const t0 = performance.now();
    // Half, then the rest: the second half's growth is per connection in a process already holding
    // thousands (the start's own memory, which V8 and malloc give back later, is not in it).
    const half = Math.floor(count / 2);
    const sockets = await connectMany(half, 200, (i) => connect(app.origin, tokenOf(i)));
    await sleep(5000);
    const middle = await memoryAfterGc(app.pid, dir, 2);
    sockets.push(...(await connectMany(count - half, 200, (i) => connect(app.origin, tokenOf(half + i)))));
    const connectSeconds = (performance.now() - t0) / 1000;
    await sleep(5000);
    const rssSettled = rssKb(app.pid);
    const fds = fdsOf();
    // Idle: heartbeats come and go (every gateway.presence_heartbeat_seconds), GC when V8 decides.
    let peak = 0;
    for (let t = 0; t < IDLE_SECONDS; t++) {
      await sleep(1000);
      peak = Math.max(peak, rssKb(app.pid));
    }
    const after = await memoryAfterGc(app.pid, dir, 3);
    const n = sockets.length;
    const mib = (kb: number) => `${Math.round(kb / 1024)} MiB`;
    const per = (key: keyof MemoryReading) => `${((after[key] - middle[key]) / (n - half)).toFixed(1)} KiB`;
    console.log(
      `connections: ${n.toLocaleString('en')} idle gateway connections in one process (start.mode single; ` +
        `connected in ${connectSeconds.toFixed(1)} s). RSS with none ${mib(before.rss)}, ` +
        `5 s after the last connect ${mib(rssSettled)} (${((rssSettled - before.rss) / n).toFixed(1)} KiB per ` +
        `connection), peak over ${IDLE_SECONDS} s idle ${mib(peak)} (${(peak / n).toFixed(1)} KiB per connection ` +
        `all in), after full GCs ${mib(after.rss)}. Growth per connection from ${half.toLocaleString('en')} to ` +
        `${n.toLocaleString('en')}, after full GCs: RSS ${per('rss')}, V8 heap used ${per('heapUsed')}, ` +
        `committed ${per('heapTotal')}, malloc main arena ${per('brk')}`,
    );
    console.log(
      `connections: file descriptors of the server ${ownFds} with no connection, ${fds} with ` +
        `${n.toLocaleString('en')} (${((fds - ownFds) / n).toFixed(2)} per connection): under an open-file ` +
        `limit of L it holds at most L - ${ownFds} connections`,
    );
    for (const s of sockets) s.disconnect();
  } finally {
    await rt.lifecycle.close();
    await app.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  const files = raiseFileLimit(65_536);
  await ensureDatabase(DATABASE_URL);
  const ceiling = PARTS.has('ceiling') ? await bullmqCeiling() : null;
  if (PARTS.has('cpu') || PARTS.has('floor')) await cpuAccounting();
  if (PARTS.has('load') || PARTS.has('fanout') || PARTS.has('history')) {
    const app = await startPlexichat(MODE, { PLEXICHAT_VOICE__ENABLED: 'false' });
    const rt = await benchRuntime(app);
    console.log(`Plexichat started (start.mode ${MODE})`);
    try {
      if (PARTS.has('load')) {
        const world = await loadWorld(app, await loadCast(app, rt));
        await loadShape(world, ceiling, RATES, rt.queues.messages);
        world.close();
      }
      if (PARTS.has('fanout')) await fanout(app, rt);
      if (PARTS.has('history')) await history(app, rt);
    } finally {
      await rt.lifecycle.close();
      await app.stop();
    }
  }
  if (PARTS.has('connections')) {
    // Both ends hold one descriptor per connection, each process under this limit (plus its own files).
    const count = Math.min(IDLE_CONNECTIONS, files - 1000);
    if (count < IDLE_CONNECTIONS) {
      console.log(`connections: the open-file limit here is ${files} (not raisable): measuring ${count}`);
    }
    await connections(count);
  }
}

await main();
process.exit(0);

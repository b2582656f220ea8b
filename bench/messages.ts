/**
 * `npm run bench:messages` (also part of `npm run bench`): the message path as a user sees it.
 * Plexichat runs all-in-one in a child process (npm start's entry, on the local Postgres and
 * Redis, database plexichat_bench); this process plays the clients:
 * - N socket.io clients connected to one channel; the child's memory per connection;
 * - one sender POSTing messages at a fixed rate: REST send latency and send-to-delivery latency
 *   p50/p99/max, messages/s and deliveries/s sustained; then as fast as C senders in flight go;
 * - history pages (limit 50, `before` a random id) on a channel holding one million messages.
 * Prints figures; asserts nothing. BENCH_CLIENTS, BENCH_RATE, BENCH_SECONDS, BENCH_CONCURRENCY,
 * BENCH_HISTORY_ROWS tune it; BENCH_BATCH_WINDOW_MS sets queues.message_batch_window_ms (0: no batching); BENCH_START_MODE (start.mode: single, the default here, or multi) picks
 * how main.ts runs the roles. Single by default because the per-connection memory figure reads the
 * server's own process, which in multi mode is the supervisor holding no connection.
 */
import { spawn } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { io, type Socket } from 'socket.io-client';
import { ensureDatabase } from '../shared/db/ensure-database.js';
import { SNOWFLAKE_EPOCH_MS } from '../shared/snowflake.js';

const CLIENTS = Number(process.env.BENCH_CLIENTS ?? 500);
const RATE = Number(process.env.BENCH_RATE ?? 50);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 10);
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 16);
const HISTORY_ROWS = Number(process.env.BENCH_HISTORY_ROWS ?? 1_000_000);
const DATABASE_URL = process.env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/plexichat_bench';
const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

const f = (ms: number) => `${ms.toFixed(1)} ms`;
function stats(values: number[]): string {
  const sorted = [...values].sort((a, b) => a - b);
  const at = (p: number) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;
  return `p50 ${f(at(50))}, p99 ${f(at(99))}, max ${f(sorted[sorted.length - 1] ?? NaN)}`;
}

function rssKb(pid: number): number {
  const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? NaN);
}

/** Starts Plexichat (main.ts) on a free port; resolves with its API base and pid. */
async function startPlexichat(): Promise<{
  base: string;
  origin: string;
  pid: number;
  stop: () => Promise<void>;
}> {
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
      PLEXICHAT_START__MODE: process.env.BENCH_START_MODE ?? 'single',
      PLEXICHAT_DATABASE__URL: DATABASE_URL,
      PLEXICHAT_DATABASE__POOL__MAX: '20',
      PLEXICHAT_REDIS__URL: 'redis://127.0.0.1:6379',
      PLEXICHAT_REDIS__KEY_PREFIX: `bench-${crypto.randomBytes(3).toString('hex')}`,
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
    stop: async () => {
      child.kill('SIGTERM');
      await exited;
    },
  };
}

async function call(base: string, method: string, route: string, token: string | null, body?: unknown) {
  const res = await fetch(`${base}${route}`, {
    method,
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  if (res.status >= 300) throw new Error(`${method} ${route}: ${res.status} ${text}`);
  return (text ? JSON.parse(text) : null) as Record<string, unknown> & { id: string };
}

/** Fills a channel with `rows` messages in one statement (ids as the snowflake layout builds them). */
async function seedHistory(channelId: string, authorId: string, rows: number): Promise<void> {
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

async function main(): Promise<void> {
  await ensureDatabase(DATABASE_URL);
  const app = await startPlexichat();
  try {
    const username = `bench_${crypto.randomBytes(4).toString('hex')}`;
    const { token } = (await call(app.base, 'POST', '/auth/register', null, {
      username,
      password: 'bench-password-1234',
    })) as unknown as { token: string };
    const server = await call(app.base, 'POST', '/servers', token, { name: 'bench' });
    const channels = (await call(app.base, 'GET', `/servers/${server.id}/channels`, token)) as unknown as {
      id: string;
    }[];
    const channelId = channels[0]?.id as string;

    // 1. N clients in the channel.
    const before = rssKb(app.pid);
    const sockets: Socket[] = [];
    const sentAt = new Map<string, number>();
    const deliveries: number[] = [];
    let lastDelivery = 0;
    for (let i = 0; i < CLIENTS; i += 50) {
      const batch = Array.from({ length: Math.min(50, CLIENTS - i) }, () => {
        const socket = io(app.origin, { path: '/gateway', transports: ['websocket'], auth: { token } });
        sockets.push(socket);
        socket.on('dispatch', (frame: { t: string; d: { nonce?: string } }) => {
          if (frame.t !== 'MESSAGE_CREATE' || !frame.d.nonce) return;
          const t0 = sentAt.get(frame.d.nonce);
          if (t0 === undefined) return;
          lastDelivery = performance.now();
          deliveries.push(lastDelivery - t0);
        });
        return new Promise<void>((resolve) =>
          socket.on('dispatch', (frame: { t: string }) => {
            if (frame.t === 'READY') resolve();
          }),
        );
      });
      await Promise.all(batch);
    }
    await new Promise((resolve) => setTimeout(resolve, 1000));
    const after = rssKb(app.pid);
    console.log(
      `gateway: ${CLIENTS} connections; server RSS ${Math.round(before / 1024)} -> ${Math.round(after / 1024)} MiB ` +
        `= ${((after - before) / CLIENTS).toFixed(1)} KiB per connection`,
    );

    const send = async (restLatencies: number[]): Promise<void> => {
      const nonce = crypto.randomBytes(8).toString('hex');
      const t0 = performance.now();
      sentAt.set(nonce, t0);
      await call(app.base, 'POST', `/channels/${channelId}/messages`, token, {
        content: `bench ${nonce}`,
        nonce,
      });
      restLatencies.push(performance.now() - t0);
    };
    const settle = async (expected: number) => {
      const end = Date.now() + 30000;
      while (deliveries.length < expected && Date.now() < end) await new Promise((r) => setTimeout(r, 20));
    };

    // 2. A fixed rate.
    const rest: number[] = [];
    const total = RATE * SECONDS;
    let started = performance.now();
    const inFlight: Promise<void>[] = [];
    for (let i = 0; i < total; i++) {
      const wait = started + (i * 1000) / RATE - performance.now();
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
      inFlight.push(send(rest));
    }
    await Promise.all(inFlight);
    await settle(total * CLIENTS);
    let seconds = (lastDelivery - started) / 1000;
    console.log(
      `send at ${RATE} msg/s for ${SECONDS} s to ${CLIENTS} clients: REST ${stats(rest)}; ` +
        `send->delivery ${stats(deliveries)}; ${Math.round(total / seconds)} msg/s, ` +
        `${Math.round(deliveries.length / seconds).toLocaleString('en')} deliveries/s` +
        (deliveries.length < total * CLIENTS
          ? ` (only ${deliveries.length} of ${total * CLIENTS} delivered)`
          : ''),
    );

    // 3. As fast as CONCURRENCY senders go.
    deliveries.length = 0;
    const restMax: number[] = [];
    started = performance.now();
    let sent = 0;
    const deadline = started + SECONDS * 1000;
    await Promise.all(
      Array.from({ length: CONCURRENCY }, async () => {
        while (performance.now() < deadline) {
          sent += 1;
          await send(restMax);
        }
      }),
    );
    await settle(sent * CLIENTS);
    seconds = (lastDelivery - started) / 1000;
    console.log(
      `send with ${CONCURRENCY} in flight for ${SECONDS} s: ${sent} messages; REST ${stats(restMax)}; ` +
        `send->delivery ${stats(deliveries)}; ${Math.round(sent / seconds)} msg/s, ` +
        `${Math.round(deliveries.length / seconds).toLocaleString('en')} deliveries/s`,
    );
    for (const s of sockets) s.disconnect();

    // 4. History on a channel with HISTORY_ROWS messages.
    const history = await call(app.base, 'POST', `/servers/${server.id}/channels`, token, {
      name: 'history',
      channel_type: 'text',
    });
    const me = (await call(app.base, 'GET', '/users/@me', token)) as { id: string };
    const seedStart = performance.now();
    await seedHistory(history.id, me.id, HISTORY_ROWS);
    console.log(
      `history: seeded ${HISTORY_ROWS.toLocaleString('en')} messages in ${((performance.now() - seedStart) / 1000).toFixed(1)} s`,
    );
    const newest = (await call(
      app.base,
      'GET',
      `/channels/${history.id}/messages?limit=1`,
      token,
    )) as unknown as {
      id: string;
    }[];
    const top = BigInt(newest[0]?.id ?? '0');
    const pages: number[] = [];
    for (let i = 0; i < 300; i++) {
      const before = top - BigInt(Math.floor(Math.random() * HISTORY_ROWS)) * (1n << 22n);
      const t0 = performance.now();
      const page = (await call(
        app.base,
        'GET',
        `/channels/${history.id}/messages?limit=50&before=${before}`,
        token,
      )) as unknown as unknown[];
      pages.push(performance.now() - t0);
      if (page.length === 0) throw new Error('empty history page');
    }
    console.log(
      `history page (limit 50, random before) on ${HISTORY_ROWS.toLocaleString('en')} messages: ${stats(pages)}`,
    );
    const client = new pg.Client({ connectionString: DATABASE_URL });
    await client.connect();
    await client.query('DELETE FROM messages WHERE channel_id = $1', [history.id]);
    await client.end();
  } finally {
    await app.stop();
  }
}

await main();
process.exit(0);

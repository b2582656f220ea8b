/**
 * `npm run bench`: figures for the foundation, on the local Postgres and Redis.
 * - snowflake ids minted per second;
 * - the smoke pipeline (queue -> messages worker -> Postgres -> gateway -> socket.io client):
 *   sustained messages/s and enqueue-to-delivery latency p50/p99/max.
 * Prints figures; asserts nothing.
 */
import crypto from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { io } from 'socket.io-client';
import { issueSession } from '../shared/accounts/sessions.js';
import { startGateway } from '../gateway/server.js';
import { loadConfig } from '../shared/config/index.js';
import { createSequelize } from '../shared/db/connection.js';
import { ensureDatabase } from '../shared/db/ensure-database.js';
import { migrateUp } from '../shared/db/migrator.js';
import { rooms, type DispatchFrame } from '../shared/events/index.js';
import { messageJobId } from '../shared/queues/index.js';
import { createRuntime } from '../shared/runtime.js';
import { SnowflakeGenerator } from '../shared/snowflake.js';
import { startWorkers } from '../workers/runner.js';

const MESSAGES = Number(process.env.BENCH_MESSAGES ?? 5000);
const RATE = Number(process.env.BENCH_RATE ?? 200);
const DATABASE_URL = process.env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/plexichat_bench';

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;
}

function benchSnowflake(): void {
  const gen = new SnowflakeGenerator({ datacenterId: 0, workerId: 0 });
  const n = 1_000_000;
  const started = performance.now();
  for (let i = 0; i < n; i++) gen.next();
  const seconds = (performance.now() - started) / 1000;
  console.log(`snowflake: ${Math.round(n / seconds).toLocaleString('en')} ids/s (1M ids, string form)`);
}

async function benchPipeline(): Promise<void> {
  await ensureDatabase(DATABASE_URL);
  const config = loadConfig({
    env: { HOME: '/nonexistent' },
    overrides: {
      log: { level: 'warn' },
      database: { url: DATABASE_URL, pool: { max: 20 } },
      redis: { key_prefix: `bench-${crypto.randomBytes(3).toString('hex')}` },
    },
  });
  const migrator = createSequelize(config, { info: () => undefined } as never);
  await migrateUp(migrator).finally(() => migrator.close());

  const rt = await createRuntime(config, 'bench');
  const pool = startWorkers(rt);
  const server = http.createServer();
  const gateway = await startGateway(rt, server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  const userId = rt.snowflake.next();
  await rt.models.User.create({ id: userId, username: `bench_${userId}`, created_at: new Date() });
  const serverId = rt.snowflake.next();
  await rt.models.Server.create({ id: serverId, name: 'bench', owner_id: userId, created_at: new Date() });
  const channelId = rt.snowflake.next();
  await rt.models.Channel.create({
    id: channelId,
    server_id: serverId,
    name: 'bench',
    channel_type: 'text',
    created_at: new Date(),
  });

  const user = await rt.models.User.findByPk(userId, { rejectOnEmpty: true });
  const { token } = await issueSession(rt, user, { ip: '127.0.0.1', userAgent: 'bench' });
  const client = io(`http://127.0.0.1:${port}`, {
    path: config.gateway.path,
    transports: ['websocket'],
    auth: { token },
  });
  await new Promise<void>((resolve) => client.once('connect', () => resolve()));
  await rt.events.joinRooms(client.id as string, [rooms.channel(channelId)]);

  const sentAt = new Map<string, number>();
  let latencies: number[] = [];
  let expected = 0;
  let onAllDelivered: () => void = () => undefined;
  client.on('dispatch', (frame: DispatchFrame) => {
    if (frame.t !== 'MESSAGE_CREATE') return;
    // By content, not id: a message whose minted id is not above its channel's newest is stored
    // under a new one (per-channel order, README Outbox).
    const t0 = sentAt.get((frame.d as { content: string }).content);
    if (t0 !== undefined) latencies.push(performance.now() - t0);
    if (latencies.length === expected) onAllDelivered();
  });
  const job = (n: number) => {
    const id = rt.snowflake.next();
    const content = `bench ${n} ${id}`;
    sentAt.set(content, performance.now());
    return {
      name: 'create',
      data: {
        kind: 'create' as const,
        message: { id, channel_id: channelId, author_id: userId, content, nonce: null },
      },
      opts: { jobId: messageJobId('create', id) },
    };
  };
  const f = (ms: number) => `${ms.toFixed(1)} ms`;
  const report = (label: string, seconds: number) => {
    latencies.sort((a, b) => a - b);
    console.log(
      `${label}: ${expected} messages in ${seconds.toFixed(2)} s = ${Math.round(expected / seconds)} msg/s; ` +
        `enqueue->delivery p50 ${f(percentile(latencies, 50))}, p99 ${f(percentile(latencies, 99))}, ` +
        `max ${f(latencies[latencies.length - 1] ?? NaN)}`,
    );
  };

  // 1. Burst: everything enqueued at once; the figure is sustained throughput (latency is queueing).
  latencies = [];
  expected = MESSAGES;
  let delivered = new Promise<void>((resolve) => (onAllDelivered = resolve));
  let started = performance.now();
  for (let i = 0; i < MESSAGES; i += 100) {
    await rt.queues.messages.addBulk(
      Array.from({ length: Math.min(100, MESSAGES - i) }, (_, k) => job(i + k)),
    );
  }
  await delivered;
  report(
    `pipeline burst (worker concurrency ${config.queues.concurrency.messages})`,
    (performance.now() - started) / 1000,
  );

  // 2. Fixed rate well under capacity: the figure is per-message latency.
  latencies = [];
  expected = RATE * 5;
  delivered = new Promise<void>((resolve) => (onAllDelivered = resolve));
  started = performance.now();
  for (let i = 0; i < expected; i++) {
    const due = started + (i * 1000) / RATE;
    const wait = due - performance.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    const next = job(i);
    await rt.queues.messages.add(next.name, next.data, next.opts);
  }
  await delivered;
  report(`pipeline at ${RATE} msg/s`, (performance.now() - started) / 1000);

  client.disconnect();
  await gateway.close();
  await new Promise((resolve) => server.close(resolve));
  await pool.close();
  await rt.queues.messages.obliterate({ force: true });
  await rt.models.Message.destroy({ where: { channel_id: channelId } });
  await rt.lifecycle.close();
}

benchSnowflake();
await benchPipeline();

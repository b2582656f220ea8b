/**
 * `npm run bench:messages` (also part of `npm run bench`): the message path as a user sees it.
 * Plexichat runs all-in-one in a child process (npm start's entry, on the local Postgres and
 * Redis, database plexichat_bench); this process plays the clients:
 * - N socket.io clients connected to one channel; the child's memory per connection;
 * - one sender POSTing messages at a fixed rate: REST send latency and send-to-delivery latency
 *   p50/p99/max, messages/s and deliveries/s sustained; then as fast as C senders in flight go.
 * (History pages and issue 16's load shapes are bench/scale.ts.)
 * Prints figures; asserts nothing. BENCH_CLIENTS, BENCH_RATE, BENCH_SECONDS, BENCH_CONCURRENCY
 * tune it; BENCH_BATCH_WINDOW_MS sets queues.message_batch_window_ms (0: no batching; any bench);
 * BENCH_START_MODE (start.mode: single, the default here, or multi) picks
 * how main.ts runs the roles. Single by default because the per-connection memory figure reads the
 * server's own process, which in multi mode is the supervisor holding no connection.
 */
import crypto from 'node:crypto';
import { io, type Socket } from 'socket.io-client';
import { ensureDatabase } from '../shared/db/ensure-database.js';
import { call, DATABASE_URL, rssKb, startPlexichat, stats } from './harness.js';

const CLIENTS = Number(process.env.BENCH_CLIENTS ?? 500);
const RATE = Number(process.env.BENCH_RATE ?? 50);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 10);
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 16);

async function main(): Promise<void> {
  await ensureDatabase(DATABASE_URL);
  const app = await startPlexichat(process.env.BENCH_START_MODE === 'multi' ? 'multi' : 'single');
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
  } finally {
    await app.stop();
  }
}

await main();
process.exit(0);

/**
 * One thread of the fan-out part's load generator (bench/scale.ts): holds its share of the
 * socket.io clients, and for each message the main thread announces, reports when its first and
 * last client had it (absolute times, performance.timeOrigin + performance.now(), comparable
 * across threads) and how long its event loop was busy meanwhile. At the end it reports every
 * client's count of each message, so the main thread can check that every client got every one.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { connect, connectMany } from './gateway-clients.js';
import { connectLean } from './lean-gateway-client.js';

/** What the main thread starts a worker with. */
export interface FanoutWorkerData {
  origin: string;
  /** One token per client this thread opens. */
  tokens: string[];
  /** Handshakes at a time. */
  batch: number;
  /** The receive-only client of bench/lean-gateway-client.ts instead of socket.io-client. */
  lean: boolean;
}

/** Main thread -> worker. */
export type ToWorker = { type: 'expect'; nonce: string } | { type: 'finish'; nonces: string[] };

/** Worker -> main thread. */
export type FromWorker =
  | { type: 'ready'; clients: number }
  | { type: 'failed'; error: string }
  /** Every client of this thread had `nonce`: first and last arrival (ms since the epoch), busy ms. */
  | { type: 'done'; nonce: string; first: number; last: number; busyMs: number }
  /**
   * Clients that got each of `nonces` exactly once, the total of extra copies seen, and (lean
   * clients only: socket.io-client hides `s`) frames whose `s` was not the previous one's plus 1.
   */
  | { type: 'tally'; complete: number; duplicates: number; sequenceGaps: number };

const port = parentPort;
if (!port) throw new Error('bench/fanout-worker.ts runs as a worker thread');
const { origin, tokens, batch, lean } = workerData as FanoutWorkerData;
const now = () => performance.timeOrigin + performance.now();

/** Per client: how many copies of each nonce it got. */
const seen = tokens.map(() => new Map<string, number>());
let current = '';
let arrived = 0;
let first = 0;
let elu = performance.eventLoopUtilization();

const post = (message: FromWorker) => port.postMessage(message);

function onMessage(client: number, nonce: string | null | undefined): void {
  if (!nonce) return;
  const counts = seen[client] as Map<string, number>;
  counts.set(nonce, (counts.get(nonce) ?? 0) + 1);
  if (nonce !== current) return;
  arrived += 1;
  const t = now();
  if (arrived === 1) first = t;
  if (arrived === tokens.length) {
    const busy = performance.eventLoopUtilization(elu);
    post({ type: 'done', nonce, first, last: t, busyMs: busy.active });
  }
}

port.on('message', (message: ToWorker) => {
  if (message.type === 'expect') {
    current = message.nonce;
    arrived = 0;
    elu = performance.eventLoopUtilization();
    return;
  }
  let complete = 0;
  let duplicates = 0;
  for (const counts of seen) {
    if (message.nonces.every((n) => counts.get(n) === 1)) complete += 1;
    for (const n of counts.values()) duplicates += Math.max(0, n - 1);
  }
  const sequenceGaps = clients.reduce((sum, c) => sum + c.sequenceGaps, 0);
  post({ type: 'tally', complete, duplicates, sequenceGaps });
  for (const c of clients) c.close();
  port.close();
});

/** An open client of either kind, as the tally uses it. */
interface Client {
  sequenceGaps: number;
  close(): void;
}

let clients: Client[] = [];
try {
  clients = await connectMany<Client>(tokens.length, batch, (i) => {
    const token = tokens[i] as string;
    const onCreate = (m: { nonce?: string | null }) => onMessage(i, m.nonce);
    if (lean) return connectLean(origin, token, onCreate);
    return connect(origin, token, onCreate).then((socket) => ({
      sequenceGaps: 0,
      close: () => socket.disconnect(),
    }));
  });
  post({ type: 'ready', clients: clients.length });
} catch (err) {
  post({ type: 'failed', error: (err as Error).message });
}

/**
 * The send path's yardstick (bench/scale.ts, part `floor`): the packages the design names for a
 * message (express, pg, ioredis, BullMQ, socket.io with @socket.io/redis-adapter) doing one
 * message's minimum work, with none of Plexichat's own (no middleware chain, validation,
 * permission facts, nonce check, AutoMod, outbox, per-channel order, resume records, request log).
 * `node --import tsx bench/message-floor.ts` as a child with an IPC channel: a node:cluster primary
 * forking FLOOR_WEB_PROCESSES web processes sharing one port (as many as Plexichat's web role) and
 * one workers process (as Plexichat's workers role). Each web process answers
 * POST /api/v1/channels/{id}/messages (JSON body {content, nonce}) with
 * 1. the session lookup of the bearer token (Postgres, a prepared statement on the real table),
 * 2. one Lua script in Redis standing for the rate limit (a counter with an expiry),
 * 3. BullMQ `queue.add` of a create job (Plexichat's default job options), then the wait for its
 *    result on QueueEvents (listeners on `completed:<id>` set before the add, as the API's
 *    listenFirst does), answered as 200 with the stored row as JSON;
 * and runs socket.io at /gateway, clustered with @socket.io/redis-adapter: a handshake's
 * `auth.token` is looked up as above, the connection joins the room of every channel of the
 * user's servers (one statement, no permission computation) and gets a READY dispatch.
 * The workers process runs a BullMQ Worker (concurrency 50, as Plexichat's messages queue) that
 * stores the row with Plexichat's own insert (shared/domain/messages/insert.ts, the same 19
 * columns, one prepared statement) and sends MESSAGE_CREATE to the channel's room through a
 * socket.io Server with the Redis adapter and no listener: `io.to(room).emit` publishes one
 * message to Redis, and each web process's adapter delivers it to its sockets in that room. That
 * is the adapter's own broadcast path (what @socket.io/redis-emitter, not installed here, would
 * publish); the worker's Server ignores its own publish before decoding it (no socket in the
 * room). Frames carry no per-session `s`: numbering and recording each session's events for
 * resume is Plexichat's own work.
 * What it measures is the floor these libraries put under the CPU per message on this box.
 */
import cluster from 'node:cluster';
import http from 'node:http';
import { createAdapter } from '@socket.io/redis-adapter';
import { Queue, QueueEvents, Worker, type Job } from 'bullmq';
import express from 'express';
import { Redis } from 'ioredis';
import pg from 'pg';
import { Server } from 'socket.io';
import { hashToken } from '../shared/auth/tokens.js';
import { SUPERVISED_ROLE_ENV } from '../shared/cluster/supervisor.js';
import { insertMessages } from '../shared/domain/messages/insert.js';
import { SnowflakeGenerator } from '../shared/snowflake.js';
import { forkListeners } from './yardstick.js';

const webProcesses = Number(process.env.FLOOR_WEB_PROCESSES ?? 2);
const databaseUrl = process.env.FLOOR_DATABASE_URL;
const redisUrl = process.env.FLOOR_REDIS_URL ?? 'redis://127.0.0.1:6379';
const prefix = 'floor:bull';
const QUEUE = 'messages';
/** A wait for a job's result that outlasts this answers 504 instead of holding the request. */
const WAIT_MS = 30_000;

/** A create job: what the web process knows of a new message. */
interface CreateJob {
  id: string;
  channel_id: string;
  author_id: string;
  content: string;
  nonce: string | null;
}
/** A stored row as pg reads it (ids as text, RETURNING *). */
type StoredRow = Record<string, unknown> & { id: string; channel_id: string };

/** The user id of a live session's token ($1: its hash), as the history floor looks it up. */
const SESSION = {
  name: 'floor_session',
  text: `SELECT s.user_id::text FROM sessions s JOIN users u ON u.id = s.user_id
          WHERE s.token_hash = $1 AND s.revoked_at IS NULL`,
};
/** Every channel of the user's ($1) servers: the rooms a connection joins. */
const CHANNELS = {
  name: 'floor_channels',
  text: `SELECT c.id::text FROM members m JOIN channels c ON c.server_id = m.server_id WHERE m.user_id = $1`,
};
const INSERT = { name: 'floor_message_insert', text: insertMessages(1) };

if (cluster.isPrimary) {
  // The role in the environment names each process's row in bench/cpu.ts as Plexichat's would be.
  forkListeners(webProcesses, { [SUPERVISED_ROLE_ENV]: 'web' });
  cluster.fork({ [SUPERVISED_ROLE_ENV]: 'workers' });
  process.on('disconnect', () => process.exit(0));
} else if (process.env[SUPERVISED_ROLE_ENV] === 'workers') {
  runWorkers();
} else {
  runWeb();
}

/** A web process: the send route and the gateway on one port. */
function runWeb(): void {
  const pool = new pg.Pool({ connectionString: databaseUrl, max: 4 });
  // One command connection for the rate limit, the queue and the adapter's publishes (Plexichat
  // also shares one between its queues); the subscriber and QueueEvents' blocking reads need their own.
  const redis = new Redis(redisUrl, { maxRetriesPerRequest: null });
  redis.defineCommand('floorLimit', {
    numberOfKeys: 1,
    lua: "local n = redis.call('INCR', KEYS[1]) if n == 1 then redis.call('PEXPIRE', KEYS[1], 60000) end return n",
  });
  const limit = (key: string) =>
    (redis as Redis & { floorLimit(key: string): Promise<number> }).floorLimit(key);
  const queue = new Queue<CreateJob, StoredRow>(QUEUE, {
    connection: redis,
    prefix,
    // Plexichat's defaults (shared/queues/queues.ts with the default config): the same trimming work.
    defaultJobOptions: {
      attempts: 5,
      backoff: { type: 'exponential', delay: 1000 },
      removeOnComplete: { count: 1000 },
      removeOnFail: { count: 10000 },
    },
  });
  const events = new QueueEvents(QUEUE, {
    connection: new Redis(redisUrl, { maxRetriesPerRequest: null }),
    prefix,
  });
  // Per-job event names are outside QueueEvents' typed listener map.
  const bus = events as unknown as NodeJS.EventEmitter;
  const snowflake = new SnowflakeGenerator({ datacenterId: 30, workerId: cluster.worker?.id ?? 0 });

  /** The stored row of job `id`, listened for before the job exists (no poll of the job needed). */
  const finished = (id: string) =>
    new Promise<StoredRow>((resolve, reject) => {
      const completed = `completed:${id}`;
      const failed = `failed:${id}`;
      const done = () => {
        clearTimeout(timer);
        bus.removeListener(completed, onCompleted);
        bus.removeListener(failed, onFailed);
      };
      const onCompleted = (args: { returnvalue: StoredRow }) => {
        done();
        resolve(args.returnvalue);
      };
      const onFailed = (args: { failedReason?: string }) => {
        done();
        reject(new Error(args.failedReason ?? 'job failed'));
      };
      const timer = setTimeout(() => onFailed({ failedReason: 'timed out' }), WAIT_MS);
      bus.on(completed, onCompleted);
      bus.on(failed, onFailed);
    });

  const userOf = async (token: unknown): Promise<string | undefined> => {
    if (typeof token !== 'string') return undefined;
    const { rows } = await pool.query<{ user_id: string }>({ ...SESSION, values: [hashToken(token)] });
    return rows[0]?.user_id;
  };

  const app = express();
  app.post('/api/v1/channels/:id/messages', express.json(), (req, res, next) => {
    void (async () => {
      const userId = await userOf((req.headers.authorization ?? '').replace(/^Bearer /, ''));
      if (!userId) return void res.status(401).end();
      await limit(`floor:limit:${userId}`);
      const body = req.body as { content?: unknown; nonce?: unknown };
      const id = snowflake.next();
      // As shared/queues/payloads.ts messageJobId: BullMQ refuses custom ids that look like integers.
      const jobId = `msg-create-${id}`;
      const stored = finished(jobId);
      const adding = queue.add(
        'create',
        {
          id,
          channel_id: req.params.id,
          author_id: userId,
          content: typeof body.content === 'string' ? body.content : '',
          nonce: typeof body.nonce === 'string' ? body.nonce : null,
        },
        { jobId },
      );
      // Not queued: the wait ends at its timeout unanswered, which must not be an unhandled rejection.
      await adding.catch((err: Error) => {
        stored.catch(() => undefined);
        throw err;
      });
      res.json(await stored);
    })().catch(next);
  });

  const server = http.createServer(app);
  const sub = redis.duplicate();
  const io = new Server(server, { path: '/gateway', serveClient: false, adapter: createAdapter(redis, sub) });
  io.use((socket, next) => {
    const auth = socket.handshake.auth as { token?: unknown } | undefined;
    userOf(auth?.token).then(
      async (userId) => {
        if (!userId) return next(new Error('unauthorized'));
        const { rows } = await pool.query<{ id: string }>({ ...CHANNELS, values: [userId] });
        await socket.join(rows.map((r) => `channel:${r.id}`));
        socket.data = { userId };
        next();
      },
      (err: Error) => next(err),
    );
  });
  io.on('connection', (socket) => {
    socket.emit('dispatch', {
      t: 'READY',
      s: 1,
      d: { user: { id: (socket.data as { userId: string }).userId } },
    });
  });
  server.listen(Number(process.env.FLOOR_PORT ?? 0), '127.0.0.1');
}

/** The workers process: store each create, announce it to the channel's room, answer the row. */
function runWorkers(): void {
  const pool = new pg.Pool({ connectionString: databaseUrl, max: 10 });
  const pub = new Redis(redisUrl);
  const io = new Server({ adapter: createAdapter(pub, pub.duplicate()) });
  const worker = new Worker<CreateJob, StoredRow>(
    QUEUE,
    async (job: Job<CreateJob>) => {
      const m = job.data;
      const { rows } = await pool.query<StoredRow>({
        ...INSERT,
        // In insertMessages' column order; the content stored unrendered (rendering is Plexichat's work).
        values: [
          m.id,
          m.channel_id,
          m.author_id,
          'default',
          m.content,
          m.nonce,
          false,
          new Date(),
          m.content,
          [],
          [],
          false,
          null,
          null,
          '[]',
          '[]',
          null,
          null,
          null,
        ],
      });
      const row = rows[0];
      if (!row) throw new Error(`message ${m.id} was not stored`);
      io.to(`channel:${row.channel_id}`).emit('dispatch', { t: 'MESSAGE_CREATE', d: row });
      return row;
    },
    { connection: new Redis(redisUrl, { maxRetriesPerRequest: null }), prefix, concurrency: 50 },
  );
  worker.on('error', (err) => console.error('message floor worker:', err.message));
}

/**
 * The history part's second yardstick (bench/scale.ts): the packages the design names for the read
 * path (express, pg, ioredis) making the same round trips a history page makes, with none of
 * Plexichat's own work (no middleware chain, validation, permission computation, request log).
 * `node --import tsx bench/stack-floor.ts` as a child with an IPC channel: a node:cluster primary
 * with STACK_PROCESSES workers sharing one port, each answering
 * GET /api/v1/channels/{id}/messages?limit=&before= with
 * 1. the session lookup of the bearer token: one Redis read standing for the session's copy
 *    (shared/auth/session-cache.ts), filled from Postgres (a prepared statement on the real table)
 *    on the token's first request,
 * 2. one Lua script in Redis standing for the rate limit (a counter with an expiry) and, beside it
 *    (as Plexichat's route prefetch), one more Redis round trip standing for the channel's
 *    permission facts,
 * 3. the page itself: Plexichat's own prepared history statement (api/messages/history.ts), sent as
 *    the JSON text Postgres builds.
 * What it measures is the floor these libraries put under the history figure on this box.
 */
import cluster from 'node:cluster';
import express from 'express';
import pg from 'pg';
import { Redis } from 'ioredis';
import { createExpressServer } from '../api/express-server.js';
import { HISTORY_BEFORE_STATEMENT } from '../api/messages/history.js';
import { hashToken } from '../shared/auth/tokens.js';
import { forkListeners } from './yardstick.js';

const processes = Number(process.env.STACK_PROCESSES ?? 2);

if (cluster.isPrimary) {
  forkListeners(processes);
  process.on('disconnect', () => process.exit(0));
} else {
  const pool = new pg.Pool({ connectionString: process.env.STACK_DATABASE_URL, max: 4 });
  const redis = new Redis(process.env.STACK_REDIS_URL ?? 'redis://127.0.0.1:6379');
  const limit = (key: string) =>
    redis.eval(
      "local n = redis.call('INCR', KEYS[1]) if n == 1 then redis.call('PEXPIRE', KEYS[1], 60000) end return n",
      1,
      key,
    );
  const app = express();
  app.get('/api/v1/channels/:id/messages', (req, res, next) => {
    void (async () => {
      const token = (req.headers.authorization ?? '').replace(/^Bearer /, '');
      const hash = hashToken(token);
      const copyKey = `bench:floor:session:${hash.toString('hex')}`;
      let userId = await redis.get(copyKey);
      if (!userId) {
        const session = await pool.query<{ user_id: string }>({
          name: 'floor_session',
          text: `SELECT s.user_id::text FROM sessions s JOIN users u ON u.id = s.user_id
                  WHERE s.token_hash = $1 AND s.revoked_at IS NULL`,
          values: [hash],
        });
        userId = session.rows[0]?.user_id ?? null;
        if (!userId) return void res.status(401).end();
        await redis.set(copyKey, userId, 'EX', 60);
      }
      await Promise.all([
        limit(`bench:floor:limit:${userId}`),
        redis.hgetall(`bench:floor:facts:${req.params.id}`),
      ]);
      const page = await pool.query<{ page: string }>({
        name: HISTORY_BEFORE_STATEMENT.name,
        text: HISTORY_BEFORE_STATEMENT.text,
        values: [req.params.id, Number(req.query.limit ?? 50), userId, req.query.before as string],
      });
      res.type('application/json').send(page.rows[0]?.page ?? '[]');
    })().catch(next);
  });
  // Served as the API serves (api/express-server.ts), so the floor stays the stack's best.
  createExpressServer(app).listen(Number(process.env.STACK_PORT ?? 0), '127.0.0.1');
}

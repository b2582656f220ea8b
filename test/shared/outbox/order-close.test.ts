import crypto from 'node:crypto';
import pg from 'pg';
import { holdOrder } from '../../../shared/outbox/order.js';
import { createRuntime } from '../../../shared/runtime.js';
import { captureLog } from '../../helpers/log-capture.js';
import { testConfig } from '../../helpers/config.js';
import { TEST_DATABASE_URL } from '../../helpers/env.js';
import { until } from '../../helpers/services.js';

// The hold's own connection (shared/outbox/order.ts) as a process stops: a shutdown once logged
// "could not release outbox order" (Connection terminated) when the close ended the connection
// under the lingering tick's DELETE of relayed rows.

const name = `plexichat outbox order ${process.pid}`;
let db: pg.Client;

beforeAll(async () => {
  db = new pg.Client({ connectionString: TEST_DATABASE_URL });
  await db.connect();
});

afterAll(async () => {
  await db.end();
});

/** This process's order-lock connections and what each waits for. */
async function orderConnections(): Promise<{ wait: string | null }[]> {
  const { rows } = await db.query<{ wait: string | null }>(
    'SELECT wait_event_type AS wait FROM pg_stat_activity WHERE application_name = $1',
    [name],
  );
  return rows;
}

describe('outbox order on close', () => {
  it('lets a DELETE of relayed rows in flight finish before ending the connection, and opens none after', async () => {
    const { logger, lines } = captureLog();
    const rt = await createRuntime(testConfig(), 'test', { logger });
    const key = `test:close:${crypto.randomBytes(4).toString('hex')}`;
    const row = await db.query<{ id: string }>(
      `INSERT INTO outbox (scope, order_key, effects) VALUES ('test-close', $1, '[]') RETURNING id::text`,
      [key],
    );
    const rowId = row.rows[0]!.id;
    // Another session locks the row, so the lingering tick's DELETE of it waits in Postgres.
    const blocker = new pg.Client({ connectionString: TEST_DATABASE_URL });
    await blocker.connect();
    try {
      await blocker.query('BEGIN');
      await blocker.query('SELECT id FROM outbox WHERE id = $1 FOR UPDATE', [rowId]);

      const hold = await holdOrder(rt, [key]);
      hold!.relayed(rowId);
      await hold!.release();
      await until(
        async () => (await orderConnections()).some((c) => c.wait === 'Lock'),
        'the DELETE to wait on the row lock',
      );

      let closed = false;
      const closing = rt.lifecycle.close().then(() => (closed = true));
      await new Promise((resolve) => setTimeout(resolve, 300));
      // Still deleting: the close waits for it rather than ending the connection under it.
      expect(closed).toBe(false);
      await blocker.query('COMMIT');
      await closing;
    } finally {
      await blocker.end();
    }

    const left = await db.query('SELECT 1 FROM outbox WHERE id = $1', [rowId]);
    expect(left.rowCount).toBe(0);
    // Past the linger tick: nothing reopens a connection after the close.
    await new Promise((resolve) => setTimeout(resolve, 400));
    expect(await orderConnections()).toEqual([]);
    expect(lines.filter((l) => l.msg === 'could not release outbox order; reconnecting')).toEqual([]);
  });
});

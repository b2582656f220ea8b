import pg from 'pg';
import { NEWEST_IDS_SQL, newestIdFacts } from '../../../shared/messages/stored-ids.js';
import { READ_STATES_SQL, loadReadStates } from '../../../shared/read-states.js';
import { SNOWFLAKE_EPOCH_MS } from '../../../shared/snowflake.js';
import { useTestApp } from '../../helpers/app.js';
import { as, join, send, world } from '../../api/threads/helpers.js';

const app = useTestApp();

/** The plan Postgres picks for `sql` with `args` (SQL literals), generic as a prepared statement's becomes. */
async function planOf(sql: string, types: string[], args: string[]): Promise<string> {
  // A connection of its own: a pooled one would keep the setting and the statement.
  const client = new pg.Client({ connectionString: app.config.database.url ?? undefined });
  await client.connect();
  try {
    await client.query('SET plan_cache_mode = force_generic_plan');
    if (types.length === 0) return JSON.stringify((await client.query(`EXPLAIN (FORMAT JSON) ${sql}`)).rows);
    await client.query(`PREPARE planned(${types.join(', ')}) AS ${sql}`);
    return JSON.stringify(
      (await client.query(`EXPLAIN (FORMAT JSON) EXECUTE planned(${args.join(', ')})`)).rows,
    );
  } finally {
    await client.end();
  }
}

describe('newest message id of a channel on a large instance', () => {
  it('is read off the (channel_id, id) index by sends, read states and READY, never by walking the primary key through other channels', async () => {
    const w = await world(app);
    const reader = await join(app, w);
    const quiet = await send(app, w.owner, w.channelId, 'the only message here');
    expect(
      (await as(app, reader, 'POST', `/channels/${w.channelId}/messages/${quiet.id}/ack`)).body,
    ).toMatchObject({
      unread: false,
    });
    const created = await as(app, w.owner, 'POST', `/servers/${w.serverId}/channels`, {
      name: 'busy',
      channel_type: 'text',
    });
    expect(created.status).toBe(201);
    const busy = (created.body as { id: string }).id;
    // 300,000 newer messages in one other channel (ids as the snowflake layout builds them, one per
    // ms from now on, worker 31/31): the statistics then make `busy` look like the whole table, and
    // a primary-key walk from the quiet channel's newest id meets every one of them.
    const db = app.rt.sequelize;
    await db.query(
      `INSERT INTO messages (id, channel_id, author_id, content, created_at)
       SELECT ((($3::bigint + g) - $4::bigint) << 22) | (31 << 17) | (31 << 12), $1, $2, 'busy ' || g,
              to_timestamp(($3::bigint + g) / 1000.0)
         FROM generate_series(1, 300000) AS g`,
      { bind: [busy, w.owner.id, Date.now(), SNOWFLAKE_EPOCH_MS] },
    );
    try {
      await db.query('ANALYZE messages');
      const states = await loadReadStates(app.rt, reader.id, [w.channelId, busy]);
      expect(states.find((s) => s.channel_id === w.channelId)?.unread).toBe(false);
      expect(states.find((s) => s.channel_id === busy)?.unread).toBe(true);
      const [newest] = await db.query(NEWEST_IDS_SQL.replace('$1::bigint[]', `'{${w.channelId}}'::bigint[]`));
      expect(newest).toEqual([{ channel_id: w.channelId, last: quiet.id }]);
      const [facts] = await db.query(newestIdFacts([`channel:${w.channelId}`]));
      expect(facts).toEqual([{ key: `channel:${w.channelId}`, value: quiet.id }]);

      // Snowflakes the test made: digits only.
      const plans = [
        await planOf(
          READ_STATES_SQL,
          ['bigint', 'bigint[]', 'boolean'],
          [reader.id, `'{${w.channelId},${busy}}'`, 'false'],
        ),
        await planOf(NEWEST_IDS_SQL, ['bigint[]'], [`'{${w.channelId}}'`]),
        await planOf(newestIdFacts([`channel:${w.channelId}`]), [], []),
      ];
      for (const plan of plans) {
        expect(plan).toContain('messages_channel_id_id_idx');
        expect(plan).not.toContain('messages_pkey');
      }
    } finally {
      await db.query('DELETE FROM messages WHERE channel_id = $1', { bind: [busy] });
      await db.query('ANALYZE messages');
    }
  });
});

import { QueryTypes } from 'sequelize';
import { useTestAppOnOwnPostgres } from '../helpers/app.js';
import { until } from '../helpers/services.js';
import { snowflakeFromTimestamp } from '../../shared/snowflake.js';

// The hourly media sweep finishes file-deletion batches a day old: their job failed every attempt
// or was lost with Redis, and nothing else would delete those files.

// A database of its own: every test app with workers sweeps when it starts, and one sharing the
// test database would take this batch and delete its files from its own storage, not this app's.
const { app } = useTestAppOnOwnPostgres();

it('the sweep deletes the files of a deletion batch older than a day, and leaves a recent one to its job', async () => {
  const tag = app.rt.snowflake.next();
  const oldBatch = (
    BigInt(snowflakeFromTimestamp(Date.now() - 25 * 3600_000)) + BigInt(tag.slice(-6))
  ).toString();
  const newBatch = app.rt.snowflake.next();
  const oldKeys = [`attachments/sweep-${tag}/a.txt`, `attachments/sweep-${tag}/b.txt`];
  const newKey = `attachments/sweep-${tag}/c.txt`;
  for (const key of [...oldKeys, newKey]) await app.rt.storage.put(key, Buffer.from('x'), 'text/plain');
  await app.rt.sequelize.query(
    `INSERT INTO file_deletions (batch, key) SELECT $1::bigint, unnest($2::text[]) UNION ALL SELECT $3::bigint, $4::text`,
    { bind: [oldBatch, oldKeys, newBatch, newKey] },
  );

  await app.rt.queues.media.add('sweep_unbound', { kind: 'sweep_unbound' });
  await until(async () => (await app.rt.storage.head(oldKeys[1]!)) === null, 'the old batch swept');
  expect(await app.rt.storage.head(oldKeys[0]!)).toBeNull();
  expect(await app.rt.storage.head(newKey)).not.toBeNull();
  const [left] = await app.rt.sequelize.query<{ batch: string }>(
    'SELECT batch FROM file_deletions WHERE key LIKE $1',
    { bind: [`attachments/sweep-${tag}/%`], type: QueryTypes.SELECT },
  );
  expect(String(left?.batch)).toBe(newBatch);
});

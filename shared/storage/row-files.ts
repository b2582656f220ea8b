import { QueryTypes, type Transaction } from 'sequelize';
import type { Effects } from '../outbox/effects.js';
import type { Runtime } from '../runtime.js';
import { snowflakeFromTimestamp } from '../snowflake.js';

/**
 * Whose rows name stored files that go when the rows are deleted: a server (its emojis and its
 * channels' uploads), or channels (their uploads; a thread is a channel).
 */
export type FilesOf = { server: string } | { channels: string[] };

/** The storage keys an upload row names: its file and its thumbnail. */
const UPLOAD_KEYS = `SELECT unnest(ARRAY[a.storage_key, a.metadata->>'thumbnail_key']) AS key FROM attachments a`;

const SERVER_KEYS = `SELECT unnest(ARRAY[webp_key, fallback_key]) AS key FROM emojis WHERE server_id = $1
  UNION ALL
  ${UPLOAD_KEYS} JOIN channels c ON c.id = a.channel_id WHERE c.server_id = $1`;
const CHANNEL_KEYS = `${UPLOAD_KEYS} WHERE a.channel_id = ANY($1::bigint[])`;

/**
 * In a command about to delete the rows `of` names (before the deletion: they go by cascade):
 * their stored files are deleted once it commits. Their keys are captured in `file_deletions`
 * under a new batch, in the command's transaction, by one INSERT ... SELECT: however many they
 * are, none passes through this process or the outbox row, which holds one media
 * `delete_file_batch` job naming the batch (the media worker pages through it). None: nothing.
 */
export async function deleteRowFilesAfterCommit(
  rt: Pick<Runtime, 'sequelize' | 'snowflake'>,
  fx: Effects,
  of: FilesOf,
  transaction: Transaction,
): Promise<void> {
  if ('channels' in of && of.channels.length === 0) return;
  const [keys, bind] = 'server' in of ? [SERVER_KEYS, of.server] : [CHANNEL_KEYS, of.channels];
  await captureBatch(rt, fx, keys, bind, transaction);
}

/**
 * In a command: deletes `keys` (a replaced avatar's or icon's renditions, an emoji's files, a
 * deleted account's exports) once it commits, the way deleteRowFilesAfterCommit does: captured in
 * `file_deletions` in its transaction, one `delete_file_batch` job in its outbox row. So the keys
 * are durable from the commit: a job that fails every attempt (storage down for its whole retry
 * span) or is lost with Redis leaves its batch for the hourly sweep. No keys: nothing.
 */
export async function deleteFilesAfterCommit(
  rt: Pick<Runtime, 'sequelize' | 'snowflake'>,
  fx: Effects,
  keys: string[],
  transaction: Transaction,
): Promise<void> {
  if (keys.length === 0) return;
  await captureBatch(rt, fx, 'SELECT unnest($1::text[]) AS key', keys, transaction);
}

/** Captures the keys `select` ($1: `bind`) finds under a new batch, and queues its job after the commit. */
async function captureBatch(
  rt: Pick<Runtime, 'sequelize' | 'snowflake'>,
  fx: Effects,
  select: string,
  bind: string | string[],
  transaction: Transaction,
): Promise<void> {
  const batch = rt.snowflake.next();
  const [captured] = await rt.sequelize.query<{ n: number }>(
    `WITH captured AS (
       INSERT INTO file_deletions (batch, key)
       SELECT $2, key FROM (${select}) AS k WHERE key IS NOT NULL
       RETURNING 1
     )
     SELECT count(*)::int AS n FROM captured`,
    { bind: [bind, batch], type: QueryTypes.SELECT, transaction },
  );
  if (captured && captured.n > 0) fx.job('media', 'delete_file_batch', { kind: 'delete_file_batch', batch });
}

/**
 * A `delete_files` job (queued by releases before deleteFilesAfterCommit captured its keys, and
 * relayed from their outbox rows): its keys go under a new batch on its final attempt's failure,
 * so the sweep retries what the job could not delete. Returns how many files it deleted.
 */
export async function deleteListedFiles(
  rt: Pick<Runtime, 'sequelize' | 'snowflake' | 'storage'>,
  keys: string[],
  finalAttempt: boolean,
): Promise<number> {
  let done = 0;
  try {
    for (const key of keys) {
      await rt.storage.delete(key);
      done += 1;
    }
    return done;
  } catch (err) {
    if (finalAttempt) {
      await rt.sequelize.query('INSERT INTO file_deletions (batch, key) SELECT $1, unnest($2::text[])', {
        bind: [rt.snowflake.next(), keys.slice(done)],
        type: QueryTypes.INSERT,
      });
    }
    throw err;
  }
}

/** Keys per page of a `delete_file_batch` job. */
const KEYS_PER_PAGE = 500;

/**
 * Deletes the files captured under `batch` (the media worker's `delete_file_batch` job), a page at
 * a time: a page's rows go once its files are gone, so a retry (the job's, or after its worker
 * died) resumes with what is left, and a file already gone counts as deleted. Returns how many.
 */
export async function deleteFileBatch(
  rt: Pick<Runtime, 'sequelize' | 'storage'>,
  batch: string,
): Promise<number> {
  let done = 0;
  for (;;) {
    const page = await rt.sequelize.query<{ id: string; key: string }>(
      'SELECT id, key FROM file_deletions WHERE batch = $1 ORDER BY id LIMIT $2',
      { bind: [batch, KEYS_PER_PAGE], type: QueryTypes.SELECT },
    );
    if (page.length === 0) return done;
    for (const { key } of page) await rt.storage.delete(key);
    await rt.sequelize.query('DELETE FROM file_deletions WHERE id = ANY($1::bigint[])', {
      bind: [page.map((r) => r.id)],
      type: QueryTypes.DELETE,
    });
    done += page.length;
  }
}

/** Up to 20 file-deletion batches begun before `beforeMs` and still not done (batch ids are snowflakes). */
export async function abandonedFileBatches(
  rt: Pick<Runtime, 'sequelize'>,
  beforeMs: number,
): Promise<string[]> {
  const rows = await rt.sequelize.query<{ batch: string }>(
    'SELECT DISTINCT batch FROM file_deletions WHERE batch < $1 ORDER BY batch LIMIT 20',
    { bind: [snowflakeFromTimestamp(beforeMs)], type: QueryTypes.SELECT },
  );
  return rows.map((r) => String(r.batch));
}

import { QueryTypes, type Transaction } from 'sequelize';
import type { Effects } from '../outbox/effects.js';
import type { Runtime } from '../runtime.js';
import { deleteFilesAfterCommit } from './renditions.js';

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
 * In a command about to delete the rows `of` names (read in `transaction`, before the deletion:
 * the rows go by cascade): their stored files are deleted once the command commits
 * (deleteFilesAfterCommit). Call it before the rows are deleted.
 */
export async function deleteRowFilesAfterCommit(
  rt: Pick<Runtime, 'sequelize'>,
  fx: Effects,
  of: FilesOf,
  transaction: Transaction,
): Promise<void> {
  if ('channels' in of && of.channels.length === 0) return;
  const [sql, bind] = 'server' in of ? [SERVER_KEYS, of.server] : [CHANNEL_KEYS, of.channels];
  const rows = await rt.sequelize.query<{ key: string | null }>(sql, {
    bind: [bind],
    type: QueryTypes.SELECT,
    transaction,
  });
  deleteFilesAfterCommit(
    fx,
    rows.flatMap((r) => (r.key ? [r.key] : [])),
  );
}

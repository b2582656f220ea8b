import { prepared, runPrepared } from './db/prepared.js';
import { newestMessageIdOf } from './messages/newest-id.js';
import type { ReadStateObject } from './presenters/read-state.js';
import type { Runtime } from './runtime.js';

/**
 * The read-state query ($1 user, $2 channel ids, $3 whether archived threads count): `unread`
 * compares the read position with the channel's newest message id (one index entry, whatever the
 * channel's size: shared/messages/newest-id.ts).
 */
export const READ_STATES_SQL = `SELECT c.id AS channel_id, rs.last_read_message_id,
        coalesce(rs.mention_count, 0) AS mention_count,
        coalesce(${newestMessageIdOf('c.id')} > coalesce(rs.last_read_message_id, 0), false) AS unread
   FROM channels c
   LEFT JOIN read_states rs ON rs.channel_id = c.id AND rs.user_id = $1
   LEFT JOIN thread_metadata tm ON tm.channel_id = c.id
  WHERE c.id = ANY($2::bigint[])
    AND c.channel_type IN ('text', 'dm', 'notes', 'public_thread', 'private_thread')
    AND (tm.archived IS NOT TRUE OR $3)
  ORDER BY c.id`;

const READ_STATES = prepared<{
  channel_id: string;
  last_read_message_id: string | null;
  mention_count: number;
  unread: boolean;
}>('read_states_of_channels', READ_STATES_SQL);

/**
 * The user's read state in each of `channelIds` that holds messages (text, DM, notes, threads
 * that are active unless `archivedThreads`), in one prepared statement (every READY runs it).
 * Channels never read have last_read_message_id null.
 */
export async function loadReadStates(
  rt: Pick<Runtime, 'sequelize'>,
  userId: string,
  channelIds: string[],
  options: { archivedThreads?: boolean } = {},
): Promise<ReadStateObject[]> {
  if (channelIds.length === 0) return [];
  const rows = await runPrepared(rt.sequelize, READ_STATES, [
    userId,
    channelIds,
    options.archivedThreads ?? false,
  ]);
  return rows.map((r) => ({
    channel_id: String(r.channel_id),
    last_read_message_id: r.last_read_message_id === null ? null : String(r.last_read_message_id),
    mention_count: Number(r.mention_count),
    unread: r.unread,
  }));
}

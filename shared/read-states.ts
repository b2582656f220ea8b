import { QueryTypes } from 'sequelize';
import type { ReadStateObject } from './presenters/read-state.js';
import type { Runtime } from './runtime.js';

/**
 * The user's read state in each of `channelIds` that holds messages (text, DM, notes, threads
 * that are active unless `archivedThreads`), in one query: `unread` probes the messages index
 * (channel_id, id) for one message past the read position, so no channel's messages are scanned. Channels never read have last_read_message_id null.
 */
export async function loadReadStates(
  rt: Pick<Runtime, 'sequelize'>,
  userId: string,
  channelIds: string[],
  options: { archivedThreads?: boolean } = {},
): Promise<ReadStateObject[]> {
  if (channelIds.length === 0) return [];
  const rows = await rt.sequelize.query<{
    channel_id: string;
    last_read_message_id: string | null;
    mention_count: number;
    unread: boolean;
  }>(
    `SELECT c.id AS channel_id, rs.last_read_message_id, coalesce(rs.mention_count, 0) AS mention_count,
            EXISTS (SELECT 1 FROM messages m
                     WHERE m.channel_id = c.id AND m.id > coalesce(rs.last_read_message_id, 0)) AS unread
       FROM channels c
       LEFT JOIN read_states rs ON rs.channel_id = c.id AND rs.user_id = $1
       LEFT JOIN thread_metadata tm ON tm.channel_id = c.id
      WHERE c.id = ANY($2::bigint[])
        AND c.channel_type IN ('text', 'dm', 'notes', 'public_thread', 'private_thread')
        AND (tm.archived IS NOT TRUE OR $3)
      ORDER BY c.id`,
    { bind: [userId, channelIds, options.archivedThreads ?? false], type: QueryTypes.SELECT },
  );
  return rows.map((r) => ({
    channel_id: String(r.channel_id),
    last_read_message_id: r.last_read_message_id === null ? null : String(r.last_read_message_id),
    mention_count: Number(r.mention_count),
    unread: r.unread,
  }));
}

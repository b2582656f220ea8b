/**
 * SQL for a channel's newest message id (null when it has none), as a scalar subquery on
 * `channel`, an SQL expression (a column or a parameter).
 *
 * It reads the first entry of the (channel_id, id DESC) index at or after the channel and keeps it
 * only if it is the channel's. The plain forms (`max(id) ... WHERE channel_id = c`, or `EXISTS
 * (... channel_id = c AND id > x)`) let the planner walk the primary key backwards filtering by
 * channel whenever the statistics make one channel look like most of the table: for a quiet
 * channel that walk reads every newer message of the whole instance (1 s per call at 2,000,000
 * messages; sends, READY and read states all ask). The order (channel_id, id DESC) over a range of
 * channels is one only that index gives, so no statistics can pick another plan.
 */
export function newestMessageIdOf(channel: string): string {
  return `(SELECT CASE WHEN n.channel_id = ${channel} THEN n.id END
             FROM (SELECT m.channel_id, m.id FROM messages m WHERE m.channel_id >= ${channel}
                    ORDER BY m.channel_id, m.id DESC LIMIT 1) n)`;
}

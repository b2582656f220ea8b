import { QueryTypes, type Transaction } from 'sequelize';
import { rooms } from '../../events/index.js';
import { runCommand, type Effects } from '../../outbox/index.js';
import type { DeleteMessageJob } from '../../queues/index.js';
import type { Runtime } from '../../runtime.js';

/**
 * The one rule for deleting messages, used by a delete (deleteMessage, below) and a bulk delete
 * (bulk-delete.ts), both run by the messages worker, and by a ban that deletes recent messages
 * (the API): the messages go, their unread mentions stop counting in their recipients' read
 * states, and a thread's message count follows.
 * Notifications and reactions go with the messages by foreign key.
 */

/** What deleting needs of a runtime. */
type DeleteRuntime = Pick<Runtime, 'sequelize'>;

/** Messages deleted in one channel, for the events after the commit. */
export interface DeletedMessages {
  channel_id: string;
  /** Ascending. */
  ids: string[];
}

/** Per page of a ban's deletion: the largest MESSAGE_DELETE_BULK a moderator can cause. */
export const MAX_BULK_IDS = 100;

const byId = (a: string, b: string) => (BigInt(a) < BigInt(b) ? -1 : BigInt(a) > BigInt(b) ? 1 : 0);

/**
 * Before messages of `channelId` are deleted: their unread mentions stop counting (only where the
 * recipient had not read past them, as they were counted).
 */
async function forgetMentions(
  rt: DeleteRuntime,
  channelId: string,
  messageIds: string[],
  transaction: Transaction,
): Promise<void> {
  await rt.sequelize.query(
    `UPDATE read_states rs SET mention_count = greatest(rs.mention_count - gone.n, 0), updated_at = now()
       FROM (SELECT n.user_id, n.channel_id, count(*) AS n
               FROM notifications n
               JOIN read_states r ON r.user_id = n.user_id AND r.channel_id = n.channel_id
              WHERE n.message_id = ANY($1::bigint[]) AND n.channel_id = $2 AND n.type = 'mention'
                AND (r.last_read_message_id IS NULL OR r.last_read_message_id < n.message_id)
              GROUP BY n.user_id, n.channel_id) AS gone
      WHERE rs.user_id = gone.user_id AND rs.channel_id = gone.channel_id`,
    { bind: [messageIds, channelId], type: QueryTypes.UPDATE, transaction },
  );
}

/** After messages of a thread are deleted, the thread counts them no more (other channels: no row). */
async function forgetThreadMessages(
  rt: DeleteRuntime,
  channelId: string,
  count: number,
  transaction: Transaction,
): Promise<void> {
  await rt.sequelize.query(
    `UPDATE thread_metadata SET message_count = greatest(message_count - $2, 0) WHERE channel_id = $1`,
    { bind: [channelId, count], type: QueryTypes.UPDATE, transaction },
  );
}

/**
 * Deletes the listed messages of one channel (ids of other channels match nothing) with their
 * consequences, in `transaction` (a command's: shared/outbox). Returns the ids that existed,
 * ascending (a repeat deletes nothing). Announce them in the same command with announceDeleted.
 */
export async function deleteMessages(
  rt: DeleteRuntime,
  channelId: string,
  messageIds: string[],
  transaction: Transaction,
): Promise<string[]> {
  if (messageIds.length === 0) return [];
  await forgetMentions(rt, channelId, messageIds, transaction);
  const deleted = await rt.sequelize.query<{ id: string }>(
    `DELETE FROM messages WHERE channel_id = $1 AND id = ANY($2::bigint[]) RETURNING id`,
    { bind: [channelId, messageIds], type: QueryTypes.SELECT, transaction },
  );
  const ids = deleted.map((r) => String(r.id)).sort(byId);
  if (ids.length > 0) await forgetThreadMessages(rt, channelId, ids.length, transaction);
  return ids;
}

/**
 * A delete (a `messages` delete job; the API checked that the deleter is the author or has
 * MANAGE_MESSAGES): the message goes with its consequences (deleteMessages) and its MESSAGE_DELETE
 * in one command (shared/outbox). A retried delete finds nothing and emits nothing. Returns the
 * ids deleted (none or the one).
 */
export function deleteMessage(rt: Runtime, job: DeleteMessageJob): Promise<string[]> {
  return runCommand(rt, rooms.channel(job.channel_id), async (transaction, fx) => {
    const ids = await deleteMessages(rt, job.channel_id, [job.message_id], transaction);
    announceDeleted(fx, { channel_id: job.channel_id, ids }, 'single');
    return ids;
  });
}

/** What `authorId` posted in `serverId`'s channels (threads included) from message id `sinceId` on. */
const RECENT_OF = `FROM messages m JOIN channels c ON c.id = m.channel_id
  WHERE c.server_id = $1 AND m.author_id = $2 AND m.id >= $3`;

/**
 * The channels deleteRecentMessagesOf would delete in now, read before its command so that the
 * command can take their order (as every other delete of messages runs under its channel's hold).
 */
export async function channelsWithRecentMessagesOf(
  rt: DeleteRuntime,
  serverId: string,
  authorId: string,
  sinceId: string,
): Promise<string[]> {
  const rows = await rt.sequelize.query<{ channel_id: string }>(
    `SELECT DISTINCT m.channel_id::text AS channel_id ${RECENT_OF}`,
    { bind: [serverId, authorId, sinceId], type: QueryTypes.SELECT },
  );
  return rows.map((r) => r.channel_id);
}

/**
 * Deletes what `authorId` posted in `serverId`'s `channelIds` (channelsWithRecentMessagesOf, whose
 * order the caller holds) from message id `sinceId` on, channel by channel through
 * deleteMessages, in the caller's transaction (a ban's). A message stored meanwhile in another
 * channel stays, as one stored after the commit would.
 */
export async function deleteRecentMessagesOf(
  rt: DeleteRuntime,
  serverId: string,
  authorId: string,
  sinceId: string,
  channelIds: string[],
  transaction: Transaction,
): Promise<DeletedMessages[]> {
  if (channelIds.length === 0) return [];
  const rows = await rt.sequelize.query<{ id: string; channel_id: string }>(
    `SELECT m.id, m.channel_id ${RECENT_OF} AND m.channel_id = ANY($4::bigint[]) FOR UPDATE OF m`,
    { bind: [serverId, authorId, sinceId, channelIds], type: QueryTypes.SELECT, transaction },
  );
  const perChannel = new Map<string, string[]>();
  for (const r of rows) {
    const channelId = String(r.channel_id);
    perChannel.set(channelId, [...(perChannel.get(channelId) ?? []), String(r.id)]);
  }
  const result: DeletedMessages[] = [];
  for (const [channelId, ids] of perChannel) {
    const deleted = await deleteMessages(rt, channelId, ids, transaction);
    if (deleted.length > 0) result.push({ channel_id: channelId, ids: deleted });
  }
  return result;
}

/** How deleted messages are announced: one MESSAGE_DELETE each, or MESSAGE_DELETE_BULK pages. */
export type DeleteAnnouncement = 'single' | 'bulk';

/**
 * The effects of deleted messages, in the deleting command (relayed after its commit): the
 * channel's room and the server's outgoing webhooks learn of them, as MESSAGE_DELETE per message
 * (`single`, a key per message keeps a retried job's webhook event single) or
 * MESSAGE_DELETE_BULK with up to MAX_BULK_IDS ids each (`bulk`).
 */
export function announceDeleted(fx: Effects, deleted: DeletedMessages, how: DeleteAnnouncement): void {
  const channelId = deleted.channel_id;
  if (how === 'single') {
    for (const id of deleted.ids) {
      const event = { id, channel_id: channelId };
      fx.dispatch([rooms.channel(channelId)], 'MESSAGE_DELETE', event);
      fx.outgoing({
        type: 'MESSAGE_DELETE',
        channel_id: channelId,
        data: event,
        key: `MESSAGE_DELETE-${id}`,
      });
    }
    return;
  }
  for (let i = 0; i < deleted.ids.length; i += MAX_BULK_IDS) {
    const event = { ids: deleted.ids.slice(i, i + MAX_BULK_IDS), channel_id: channelId };
    fx.dispatch([rooms.channel(channelId)], 'MESSAGE_DELETE_BULK', event);
    fx.outgoing({ type: 'MESSAGE_DELETE_BULK', channel_id: channelId, data: event });
  }
}

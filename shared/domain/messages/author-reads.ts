import { prepared, runPrepared } from '../../db/prepared.js';
import type { MessageRecord } from '../../presenters/message.js';
import type { Runtime } from '../../runtime.js';

/** The fields of a stored message that say whose read state it moves. */
type AuthoredMessage = Pick<MessageRecord, 'id' | 'author_id' | 'channel_id' | 'webhook_id'>;

/** Per (author $1, channel $2): read up to the message $3, mentions cleared; only ever forward. */
const READ_UP_TO = prepared(
  'author_reads',
  `INSERT INTO read_states (user_id, channel_id, last_read_message_id, mention_count, updated_at)
   SELECT u, c, m, 0, now() FROM unnest($1::bigint[], $2::bigint[], $3::bigint[]) AS r(u, c, m)
   ON CONFLICT (user_id, channel_id) DO UPDATE
     SET last_read_message_id = EXCLUDED.last_read_message_id, mention_count = 0, updated_at = now()
     WHERE read_states.last_read_message_id IS NULL
        OR read_states.last_read_message_id < EXCLUDED.last_read_message_id`,
);

/**
 * After a new message commits: its author has read their channel up to it (their mentions there
 * are cleared: writing in a channel means having seen it). Outside the message's transaction so
 * that one author's concurrent messages do not queue on their read-state row; it only moves
 * forward, so a retry or a late run changes nothing.
 */
export async function recordAuthorRead(rt: Runtime, message: AuthoredMessage): Promise<void> {
  await recordAuthorReads(rt, [message]);
}

/**
 * recordAuthorRead for many messages in one statement (a batch's): per author and channel, the
 * newest; a webhook's message is not its creator reading the channel.
 */
export async function recordAuthorReads(rt: Runtime, messages: AuthoredMessage[]): Promise<void> {
  const newest = new Map<string, AuthoredMessage>();
  for (const m of messages) {
    if (m.webhook_id) continue;
    const key = `${m.author_id}:${m.channel_id}`;
    const seen = newest.get(key);
    if (!seen || BigInt(seen.id) < BigInt(m.id)) newest.set(key, m);
  }
  if (newest.size === 0) return;
  const rows = [...newest.values()];
  await runPrepared(
    rt.sequelize,
    READ_UP_TO,
    [rows.map((m) => m.author_id), rows.map((m) => m.channel_id), rows.map((m) => m.id)],
    'write',
  );
}

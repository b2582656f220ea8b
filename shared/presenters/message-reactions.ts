import { QueryTypes, type Transaction } from 'sequelize';
import type { Row } from '../db/models/index.js';
import type { Runtime } from '../runtime.js';
import { presentMessage } from './message.js';
import type { MessageObject, ReactionObject } from './types.js';

/**
 * The reactions of `messageIds`, one summary per emoji in the order each emoji was first added.
 * `me` is relative to `viewerId`; with null (gateway payloads, which every viewer shares) it is false.
 */
export async function loadReactions(
  rt: Pick<Runtime, 'sequelize'>,
  messageIds: string[],
  viewerId: string | null,
  transaction?: Transaction,
): Promise<Map<string, ReactionObject[]>> {
  const byMessage = new Map<string, ReactionObject[]>();
  if (messageIds.length === 0) return byMessage;
  const rows = await rt.sequelize.query<{ message_id: string; emoji: string; count: number; me: boolean }>(
    `SELECT message_id, emoji, count(*)::int AS count, coalesce(bool_or(user_id = $2), false) AS me
       FROM message_reactions
      WHERE message_id = ANY($1::bigint[])
      GROUP BY message_id, emoji
      ORDER BY message_id, min(created_at), emoji`,
    { bind: [messageIds, viewerId], type: QueryTypes.SELECT, transaction },
  );
  for (const row of rows) {
    const list = byMessage.get(row.message_id) ?? [];
    list.push({ emoji: row.emoji, count: row.count, me: row.me });
    byMessage.set(row.message_id, list);
  }
  return byMessage;
}

/** Message objects for stored rows with their reactions, `me` relative to `viewerId` (null: false). */
export async function presentMessages(
  rt: Pick<Runtime, 'sequelize' | 'config'>,
  rows: Row<'Message'>[],
  viewerId: string | null,
  transaction?: Transaction,
): Promise<MessageObject[]> {
  const reactions = await loadReactions(
    rt,
    rows.map((r) => r.id),
    viewerId,
    transaction,
  );
  return rows.map((row) => ({ ...presentMessage(rt.config, row), reactions: reactions.get(row.id) ?? [] }));
}

/** One stored message as presentMessages gives it. */
export async function presentStoredMessage(
  rt: Pick<Runtime, 'sequelize' | 'config'>,
  row: Row<'Message'>,
  viewerId: string | null,
  transaction?: Transaction,
): Promise<MessageObject> {
  const [message] = await presentMessages(rt, [row], viewerId, transaction);
  return message as MessageObject;
}

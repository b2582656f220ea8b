/**
 * The statement a new message's row is stored with, apart from create.ts so that a process that
 * only stores rows (bench/message-floor.ts, the send path's yardstick) writes the very same
 * columns without loading the create command's dependencies.
 */

/** The casts of a message row's bind values, in column order (see insertMessages). */
const MESSAGE_CASTS = [
  '',
  '',
  '',
  '',
  '',
  '',
  '',
  '',
  '',
  '::bigint[]',
  '::bigint[]',
  '',
  '',
  '',
  '::jsonb',
  '::jsonb',
  '',
  '::jsonb',
  '::jsonb',
];

/**
 * `n` new message rows in one statement (MESSAGE_CASTS.length bind values each, in the column
 * order below); a retried job's second insert is a no-op.
 */
export function insertMessages(n: number): string {
  const rows = Array.from(
    { length: n },
    (_, r) => `(${MESSAGE_CASTS.map((cast, c) => `$${r * MESSAGE_CASTS.length + c + 1}${cast}`).join(', ')})`,
  );
  return `INSERT INTO messages (id, channel_id, author_id, type, content, nonce, nonce_is_integer, created_at, content_html,
                       mentions, mention_roles, mention_everyone, reply_to, thread_id, attachments,
                       embeds, webhook_id, webhook_author, interaction)
  VALUES ${rows.join(',\n         ')}
  ON CONFLICT (id) DO NOTHING
  RETURNING *`;
}

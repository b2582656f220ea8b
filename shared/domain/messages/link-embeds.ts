import { QueryTypes } from 'sequelize';
import type { Row } from '../../db/models/index.js';
import { rooms } from '../../events/index.js';
import { runCommand } from '../../outbox/index.js';
import { isLinkEmbed, type LinkEmbed } from '../../presenters/embed.js';
import { presentStoredMessage } from '../../presenters/message-reactions.js';
import type { Runtime } from '../../runtime.js';

/** JSON with sorted keys: jsonb hands objects back with its own key order. */
function canonical(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) =>
    v && typeof v === 'object' && !Array.isArray(v)
      ? Object.fromEntries(Object.entries(v as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : 1)))
      : v,
  );
}

/**
 * Stores a message's link previews (the embeds worker fetched them for `row` as it read): its link
 * embeds are replaced by `embeds` (other embeds stay) only if its content is still `row.content`
 * (an edit in between wins, and has its own job), with MESSAGE_UPDATE in the same command
 * (shared/outbox). Returns how many link embeds it stored; null when nothing changed (a retry
 * after a commit included: its event was committed with it) or the message was edited or deleted.
 */
export async function storeLinkEmbeds(
  rt: Runtime,
  row: Row<'Message'>,
  embeds: LinkEmbed[],
): Promise<number | null> {
  const { Message } = rt.models;
  // Nothing new (a retry after a commit included: its event was committed with it).
  if (canonical(row.embeds.filter(isLinkEmbed)) === canonical(embeds)) return null;
  return runCommand(rt, rooms.channel(row.channel_id), async (transaction, fx) => {
    const [stored] = await rt.sequelize.query(
      `UPDATE messages
            SET embeds = coalesce((SELECT jsonb_agg(e) FROM jsonb_array_elements(embeds) e
                                    WHERE e->>'type' IS DISTINCT FROM 'link'), '[]'::jsonb) || $1::jsonb
          WHERE id = $2 AND channel_id = $3 AND content = $4
          RETURNING *`,
      {
        bind: [JSON.stringify(embeds), row.id, row.channel_id, row.content],
        type: QueryTypes.SELECT,
        model: Message,
        mapToModel: true,
        transaction,
      },
    );
    // Edited (or deleted) while the previews were being fetched.
    if (!stored) return null;
    const message = await presentStoredMessage(rt, stored, null, transaction);
    fx.dispatch([rooms.channel(message.channel_id)], 'MESSAGE_UPDATE', message);
    fx.outgoing({ type: 'MESSAGE_UPDATE', channel_id: message.channel_id, data: message });
    return embeds.length;
  });
}

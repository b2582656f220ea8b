import { QueryTypes } from 'sequelize';
import type { Row } from '../../db/models/index.js';
import { rooms } from '../../events/index.js';
import { runCommand } from '../../outbox/index.js';
import { storedAttachment } from '../../presenters/attachment.js';
import { presentStoredMessage } from '../../presenters/message-reactions.js';
import type { Runtime } from '../../runtime.js';

/**
 * Replaces an attachment's entry in its message once the media worker has inspected it (size,
 * dimensions, thumbnail, status) and tells the channel with MESSAGE_UPDATE (one command:
 * shared/outbox).
 */
export async function refreshMessageAttachment(rt: Runtime, attachment: Row<'Attachment'>): Promise<void> {
  await runCommand(rt, null, async (transaction, fx) => {
    const [message] = await rt.sequelize.query<Row<'Message'>>(
      `UPDATE messages SET attachments = (
          SELECT coalesce(jsonb_agg(CASE WHEN a->>'id' = $2 THEN $3::jsonb ELSE a END ORDER BY n), '[]'::jsonb)
            FROM jsonb_array_elements(attachments) WITH ORDINALITY AS e(a, n))
        WHERE id = $1 RETURNING *`,
      {
        bind: [attachment.message_id, attachment.id, JSON.stringify(storedAttachment(rt.config, attachment))],
        type: QueryTypes.SELECT,
        model: rt.models.Message,
        mapToModel: true,
        transaction,
      },
    );
    if (!message) return;
    const presented = await presentStoredMessage(rt, message, null, transaction);
    fx.dispatch([rooms.channel(message.channel_id)], 'MESSAGE_UPDATE', presented);
    fx.outgoing({ type: 'MESSAGE_UPDATE', channel_id: message.channel_id, data: presented });
  });
}

import { rooms } from '../../events/index.js';
import { runCommand } from '../../outbox/index.js';
import { presentStoredMessage } from '../../presenters/message-reactions.js';
import type { MessageObject } from '../../presenters/types.js';
import type { UpdateMessageJob } from '../../queues/index.js';
import type { Runtime } from '../../runtime.js';
import { renderContent } from './content.js';
import { previewEffect } from './previews.js';

/**
 * An edit of a message's content (a `messages` update job; the API checked that the editor is its
 * author, and passes MENTION_EVERYONE and EMBED_LINKS as `allow_everyone` and `embed_links`): the
 * content is rendered again (mentions included), stored with `edited_at`, and MESSAGE_UPDATE, the
 * outgoing webhook event (keyed by `edit_id`) and the link previews job commit with it (shared/outbox).
 * A retried edit rewrites the same content. The result is the message, null when it (or its
 * channel) is gone.
 */
export async function editMessage(rt: Runtime, job: UpdateMessageJob): Promise<MessageObject | null> {
  const { Message, Channel } = rt.models;
  const channel = await Channel.findByPk(job.channel_id);
  if (!channel) return null;
  const rendered = await renderContent(rt, channel, job.content, job.allow_everyone);
  return runCommand(rt, rooms.channel(job.channel_id), async (transaction, fx) => {
    const [, rows] = await Message.update(
      { content: job.content, ...rendered, edited_at: new Date() },
      { where: { id: job.message_id, channel_id: job.channel_id }, returning: true, transaction },
    );
    const row = rows[0];
    if (!row) return null;
    const message = await presentStoredMessage(rt, row, null, transaction);
    fx.dispatch([rooms.channel(message.channel_id)], 'MESSAGE_UPDATE', message);
    fx.outgoing({
      type: 'MESSAGE_UPDATE',
      server_id: channel.server_id,
      channel_id: message.channel_id,
      data: message,
      key: `MESSAGE_UPDATE-${message.id}-${job.edit_id}`,
    });
    previewEffect(fx, row, job.embed_links ?? false, job.edit_id);
    return message;
  });
}

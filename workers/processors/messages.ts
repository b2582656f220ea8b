import { UnrecoverableError, type Job } from 'bullmq';
import { QueryTypes, type Transaction } from 'sequelize';
import { isThreadType } from '../../shared/db/models/channel.js';
import type { Row } from '../../shared/db/models/index.js';
import { recordAudit } from '../../shared/audit.js';
import { extractMentions } from '../../shared/markdown/index.js';
import { rooms } from '../../shared/events/index.js';
import { queueOutgoingEvent } from '../../shared/integrations/outgoing-events.js';
import { presentAttachment } from '../../shared/presenters/attachment.js';
import { presentMessage } from '../../shared/presenters/message.js';
import { presentStoredMessage } from '../../shared/presenters/message-reactions.js';
import type {
  CreateMessageJob,
  DeleteMessageJob,
  JobPayload,
  JobResult,
  UpdateMessageJob,
} from '../../shared/queues/index.js';
import type { Runtime } from '../../shared/runtime.js';
import { decodeSnowflake } from '../../shared/snowflake.js';
import { announceDeleted, deleteMessages } from '../../shared/domain/messages/delete.js';
import { recordAuthorRead } from './channel-activity.js';
import { queueLinkPreviews } from './embeds.js';
import { renderContent } from './message-content.js';
import {
  applyMessageEffects,
  emitMessageEffects,
  prepareMessageEffects,
  type StoredEffects,
} from './message-effects.js';
import { setMessageThread } from './thread-activity.js';
import { archiveIdleThreads } from './thread-archive.js';
import { createBulkDeleteProcessor } from './message-bulk-delete.js';
import { createPinProcessor } from './message-pins.js';
import { createReactionProcessor } from './message-reactions.js';

/**
 * The `messages` queue: every write to messages goes through here (create, edit, delete), is
 * stored in one transaction with its effects (message-effects.ts), then emitted to the channel's
 * room. Every kind is idempotent: a retried create finds its row and emits it again (clients
 * dedupe by id: better twice than never, since the first attempt may have died between commit and
 * emit); a retried edit rewrites the same content; a retried delete finds nothing and emits nothing.
 */
/**
 * Locks the author's unsent uploads this message names, in the order named: the message and the
 * binding commit together, and an upload goes into one message only (a concurrent second send of
 * the same ids gets the ones still free).
 */
async function claimAttachments(
  rt: Runtime,
  input: CreateMessageJob['message'],
  transaction: Transaction,
): Promise<Row<'Attachment'>[]> {
  const ids = input.attachments ?? [];
  if (ids.length === 0) return [];
  const rows = await rt.models.Attachment.findAll({
    where: { id: ids, uploader_id: input.author_id, message_id: null },
    lock: transaction.LOCK.UPDATE,
    transaction,
  });
  const byId = new Map(rows.map((r) => [r.id, r]));
  return ids.flatMap((id) => byId.get(id) ?? []);
}

export function createMessagesProcessor(rt: Runtime) {
  const { Message, Channel } = rt.models;

  async function create(job: CreateMessageJob): Promise<JobResult<'messages'>> {
    const input = job.message;
    const channel = await Channel.findByPk(input.channel_id);
    // The channel was deleted between the API's check and this job: retrying cannot help.
    if (!channel) throw new UnrecoverableError(`unknown channel ${input.channel_id}`);
    const rendered = await renderContent(rt, channel, input.content, input.allow_everyone ?? false);
    const type = input.type ?? (input.reply_to ? 'reply' : 'default');
    const recipients = await prepareMessageEffects(rt, channel, {
      ...rendered,
      // @here alone reaches only those online; parsed again only when there is one.
      here_only: rendered.mention_everyone && extractMentions(input.content).hereOnly,
      from_webhook: Boolean(input.webhook_id),
      author_id: input.author_id,
      type,
      reply_to: input.reply_to ?? null,
    });
    // The message and what it changes (read states, notifications, thread counts) commit together;
    // a retry finds the row and only re-emits. With nothing to write but the row (no one to
    // notify, not a thread), the insert alone is atomic: no BEGIN/COMMIT round trips.
    const attachmentIds = input.attachments ?? [];
    const needsTransaction =
      recipients.length > 0 || isThreadType(channel.channel_type) || attachmentIds.length > 0;
    const store = async (
      transaction?: Transaction,
    ): Promise<{ row: Row<'Message'>; effects: StoredEffects | null }> => {
      const attachments = transaction ? await claimAttachments(rt, input, transaction) : [];
      const inserted = await rt.sequelize.query(
        `INSERT INTO messages (id, channel_id, author_id, type, content, nonce, created_at, content_html,
                             mentions, mention_roles, mention_everyone, reply_to, thread_id, attachments,
                             embeds, webhook_id, webhook_author, interaction)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9::bigint[], $10::bigint[], $11, $12, $13, $14::jsonb,
               $15::jsonb, $16, $17::jsonb, $18::jsonb)
       ON CONFLICT (id) DO NOTHING
       RETURNING *`,
        {
          bind: [
            input.id,
            input.channel_id,
            input.author_id,
            type,
            input.content,
            input.nonce,
            new Date(decodeSnowflake(input.id).timestampMs),
            rendered.content_html,
            rendered.mentions,
            rendered.mention_roles,
            rendered.mention_everyone,
            input.reply_to ?? null,
            input.thread_id ?? null,
            JSON.stringify(attachments.map((a) => presentAttachment(rt.config, a))),
            JSON.stringify(input.embeds ?? []),
            input.webhook_id ?? null,
            input.webhook_author ? JSON.stringify(input.webhook_author) : null,
            input.interaction ? JSON.stringify(input.interaction) : null,
          ],
          type: QueryTypes.SELECT,
          model: Message,
          mapToModel: true,
          transaction,
        },
      );
      const fresh = inserted[0];
      if (!fresh) {
        return { row: await Message.findByPk(input.id, { rejectOnEmpty: true, transaction }), effects: null };
      }
      if (attachments.length > 0) {
        await rt.models.Attachment.update(
          { message_id: fresh.id, channel_id: fresh.channel_id },
          { where: { id: attachments.map((a) => a.id) }, transaction },
        );
        // Audit visibility for uploads: a server's moderators see every file posted in it.
        if (channel.server_id !== null) {
          for (const a of attachments) {
            await recordAudit(
              rt,
              {
                serverId: channel.server_id,
                actorId: input.author_id,
                action: 'attachment_upload',
                targetType: 'attachment',
                targetId: a.id,
                changes: [
                  { key: 'filename', new: a.filename },
                  { key: 'content_type', new: a.content_type },
                  { key: 'size', new: a.size },
                  { key: 'channel_id', new: fresh.channel_id },
                  { key: 'message_id', new: fresh.id },
                ],
              },
              transaction,
            );
          }
        }
      }
      if (!transaction) return { row: fresh, effects: { notifications: [], thread: null } };
      return { row: fresh, effects: await applyMessageEffects(rt, channel, fresh, recipients, transaction) };
    };
    const { row, effects } = needsTransaction
      ? await rt.sequelize.transaction((t) => store(t))
      : await store();
    // A webhook's message is not its creator reading the channel.
    if (!row.webhook_id) await recordAuthorRead(rt, row);
    const message = presentMessage(row);
    await rt.events.dispatch([rooms.channel(message.channel_id)], 'MESSAGE_CREATE', message);
    await queueOutgoingEvent(rt, {
      type: 'MESSAGE_CREATE',
      server_id: channel.server_id,
      channel_id: message.channel_id,
      data: message,
      key: `MESSAGE_CREATE-${message.id}`,
    });
    await emitMessageEffects(rt, channel, row, effects);
    // Only now, after the message is stored and delivered: previews can never hold it up.
    await queueLinkPreviews(rt, row, input.embed_links ?? false);
    return message;
  }

  async function update(job: UpdateMessageJob): Promise<JobResult<'messages'>> {
    const channel = await Channel.findByPk(job.channel_id);
    if (!channel) return null;
    const rendered = await renderContent(rt, channel, job.content, job.allow_everyone);
    const [, rows] = await Message.update(
      { content: job.content, ...rendered, edited_at: new Date() },
      { where: { id: job.message_id, channel_id: job.channel_id }, returning: true },
    );
    const row = rows[0];
    if (!row) return null;
    const message = await presentStoredMessage(rt, row, null);
    await rt.events.dispatch([rooms.channel(message.channel_id)], 'MESSAGE_UPDATE', message);
    await queueOutgoingEvent(rt, {
      type: 'MESSAGE_UPDATE',
      server_id: channel.server_id,
      channel_id: message.channel_id,
      data: message,
      key: `MESSAGE_UPDATE-${message.id}-${job.edit_id}`,
    });
    await queueLinkPreviews(rt, row, job.embed_links ?? false, job.edit_id);
    return message;
  }

  async function remove(job: DeleteMessageJob): Promise<JobResult<'messages'>> {
    const ids = await deleteMessages(rt, job.channel_id, [job.message_id]);
    await announceDeleted(rt, { channel_id: job.channel_id, ids }, 'single');
    return null;
  }

  const reaction = createReactionProcessor(rt);
  const pins = createPinProcessor(rt);
  const bulkDelete = createBulkDeleteProcessor(rt);

  return async (job: Job<JobPayload<'messages'>>): Promise<JobResult<'messages'>> => {
    const data = job.data;
    // An earlier attempt failed or stalled, perhaps after its commit: toggles then emit again.
    const retry = job.attemptsMade > 0 || job.attemptsStarted > 1;
    switch (data.kind) {
      case 'create':
        return create(data);
      case 'update':
        return update(data);
      case 'delete':
        return remove(data);
      case 'set_thread':
        return setMessageThread(rt, data);
      case 'archive_idle_threads':
        return archiveIdleThreads(rt).then(() => null);
      case 'reaction_add':
      case 'reaction_remove':
        return reaction(data, retry);
      case 'pin':
        return pins.pin(data, retry);
      case 'unpin':
        return pins.unpin(data, retry);
      case 'bulk_delete':
        return bulkDelete(data);
    }
  };
}

import { UnrecoverableError, type Job } from 'bullmq';
import { QueryTypes } from 'sequelize';
import { rooms } from '../../shared/events/index.js';
import { presentMessage } from '../../shared/presenters/message.js';
import type {
  CreateMessageJob,
  DeleteMessageJob,
  JobPayload,
  JobResult,
  UpdateMessageJob,
} from '../../shared/queues/index.js';
import type { Runtime } from '../../shared/runtime.js';
import { decodeSnowflake } from '../../shared/snowflake.js';
import { renderContent } from './message-content.js';

/**
 * The `messages` queue: every write to messages goes through here (create, edit, delete), is
 * stored in one statement, then emitted to the channel's room. Every kind is idempotent: a retried
 * create finds its row and emits it again (clients dedupe by id: better twice than never, since the
 * first attempt may have died between commit and emit); a retried edit rewrites the same content;
 * a retried delete finds nothing and emits nothing.
 */
export function createMessagesProcessor(rt: Runtime) {
  const { Message, Channel } = rt.models;

  async function create(job: CreateMessageJob): Promise<JobResult<'messages'>> {
    const input = job.message;
    const channel = await Channel.findByPk(input.channel_id);
    // The channel was deleted between the API's check and this job: retrying cannot help.
    if (!channel) throw new UnrecoverableError(`unknown channel ${input.channel_id}`);
    const rendered = await renderContent(rt, channel, input.content, input.allow_everyone ?? false);
    const inserted = await rt.sequelize.query(
      `INSERT INTO messages (id, channel_id, author_id, type, content, nonce, created_at, content_html,
                             mentions, mention_roles, mention_everyone, reply_to)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9::bigint[], $10::bigint[], $11, $12)
       ON CONFLICT (id) DO NOTHING
       RETURNING *`,
      {
        bind: [
          input.id,
          input.channel_id,
          input.author_id,
          input.type ?? (input.reply_to ? 'reply' : 'default'),
          input.content,
          input.nonce,
          new Date(decodeSnowflake(input.id).timestampMs),
          rendered.content_html,
          rendered.mentions,
          rendered.mention_roles,
          rendered.mention_everyone,
          input.reply_to ?? null,
        ],
        type: QueryTypes.SELECT,
        model: Message,
        mapToModel: true,
      },
    );
    const row = inserted[0] ?? (await Message.findByPk(input.id, { rejectOnEmpty: true }));
    const message = presentMessage(row);
    await rt.events.dispatch([rooms.channel(message.channel_id)], 'MESSAGE_CREATE', message);
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
    const message = presentMessage(row);
    await rt.events.dispatch([rooms.channel(message.channel_id)], 'MESSAGE_UPDATE', message);
    return message;
  }

  async function remove(job: DeleteMessageJob): Promise<JobResult<'messages'>> {
    const deleted = await Message.destroy({ where: { id: job.message_id, channel_id: job.channel_id } });
    if (deleted > 0) {
      await rt.events.dispatch([rooms.channel(job.channel_id)], 'MESSAGE_DELETE', {
        id: job.message_id,
        channel_id: job.channel_id,
      });
    }
    return null;
  }

  return async (job: Job<JobPayload<'messages'>>): Promise<JobResult<'messages'>> => {
    const data = job.data;
    switch (data.kind) {
      case 'create':
        return create(data);
      case 'update':
        return update(data);
      case 'delete':
        return remove(data);
    }
  };
}

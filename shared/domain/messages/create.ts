import { UnrecoverableError } from 'bullmq';
import { isThreadType } from '../../db/models/channel.js';
import { QueryTypes, type Transaction } from 'sequelize';
import type { Attributes, Row } from '../../db/models/index.js';
import { attributeList, prepared, runPrepared, type PreparedStatement } from '../../db/prepared.js';
import { recordAudit } from '../../audit.js';
import { extractMentions } from '../../markdown/index.js';
import { rooms } from '../../events/index.js';
import {
  Effects,
  heldFor,
  holdOrder,
  runBatchStatement,
  runCommand,
  runStatement,
  type OrderHold,
} from '../../outbox/index.js';
import { newestIdFacts, storedIds } from '../../messages/stored-ids.js';
import { storedAttachment } from '../../presenters/attachment.js';
import { presentMessage, type MessageRecord } from '../../presenters/message.js';
import type { MessageObject } from '../../presenters/types.js';
import type { CreateMessageJob } from '../../queues/index.js';
import type { Runtime } from '../../runtime.js';
import { decodeSnowflake } from '../../snowflake.js';
import { recordAuthorRead, recordAuthorReads } from './author-reads.js';
import { CreateBatcher } from './batch-create.js';
import { renderContent } from './content.js';
import { applyMessageEffects, prepareMessageEffects, pushEffects } from './effects.js';
import { insertMessages } from './insert.js';
import { previewEffect } from './previews.js';

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

/** A new message's row. */
const INSERT_MESSAGE = insertMessages(1);

/** A stored message (RETURNING * of the insert, or read back): a plain row. */
type StoredMessage = MessageRecord & { id: string };

/** The insert of `n` rows as a prepared statement (one per batch size, made once). */
const insertStatements = new Map<number, PreparedStatement<StoredMessage>>();
function insertStatement(n: number): PreparedStatement<StoredMessage> {
  let statement = insertStatements.get(n);
  if (!statement) insertStatements.set(n, (statement = prepared(`message_insert_${n}`, insertMessages(n))));
  return statement;
}

/** Messages by id ($1): a retried create's row, read back. */
const STORED = prepared<StoredMessage>(
  'message_create_stored',
  'SELECT * FROM messages WHERE id = ANY($1::bigint[])',
);

/** The stored rows of `ids`, in that order; each must exist (a retried job's insert found it). */
async function readStored(rt: Runtime, ids: string[]): Promise<StoredMessage[]> {
  const rows = await runPrepared(rt.sequelize, STORED, [ids]);
  const byId = new Map(rows.map((r) => [r.id, r]));
  return ids.map((id) => {
    const row = byId.get(id);
    if (!row) throw new Error(`message ${id} was neither inserted nor found`);
    return row;
  });
}

/**
 * The message create command of this process (a `messages` create job: a user's send, which the
 * API checked (SEND_MESSAGES, ATTACH_FILES, EMBED_LINKS, slowmode, nonce; MENTION_EVERYONE comes
 * as `allow_everyone`), or a system message another command queued): the message, what it
 * changes besides (effects.ts) and its effects (events, webhook events, follow-up jobs) commit
 * together and are relayed after. Answers with the stored message. A retried create
 * finds its row and causes nothing again (its first attempt's effects were committed with it, and
 * are relayed even if that attempt died right after the commit). One per process: it holds the
 * process's CreateBatcher (batch-create.ts) when `queues.message_batch_window_ms` is set.
 */
export function messageCreator(rt: Runtime): (job: CreateMessageJob) => Promise<MessageObject> {
  const { Message, Channel } = rt.models;
  /** A channel's row, every attribute as Channel.findByPk reads it. */
  const CHANNEL = prepared<Attributes<'Channel'>>(
    'message_create_channel',
    `SELECT ${attributeList(Channel)} FROM channels WHERE id = $1`,
  );

  /**
   * Everything a create needs before it writes: the row, its bind values, what it changes besides
   * (prepared effects) and whether it is plain (nothing to store but the row: no one to notify,
   * not a thread, no uploads), which is what may be stored in a batch.
   */
  async function plan(job: CreateMessageJob) {
    const input = job.message;
    const [channel] = await runPrepared(rt.sequelize, CHANNEL, [input.channel_id]);
    // The channel was deleted between the API's check and this job: retrying cannot help.
    if (!channel) throw new UnrecoverableError(`unknown channel ${input.channel_id}`);
    const rendered = await renderContent(rt, channel, input.content, input.allow_everyone ?? false);
    const type = input.type ?? (input.reply_to ? 'reply' : 'default');
    const prepared = await prepareMessageEffects(rt, channel, {
      ...rendered,
      // @here alone reaches only those online; parsed again only when there is one.
      here_only: rendered.mention_everyone && extractMentions(input.content).hereOnly,
      from_webhook: Boolean(input.webhook_id),
      id: input.id,
      channel_id: input.channel_id,
      author_id: input.author_id,
      type,
      reply_to: input.reply_to ?? null,
    });
    const values = {
      id: input.id,
      channel_id: input.channel_id,
      author_id: input.author_id,
      type,
      content: input.content,
      nonce: typeof input.nonce === 'number' ? String(input.nonce) : (input.nonce ?? null),
      nonce_is_integer: typeof input.nonce === 'number',
      created_at: new Date(decodeSnowflake(input.id).timestampMs),
      content_html: rendered.content_html,
      mentions: rendered.mentions,
      mention_roles: rendered.mention_roles,
      mention_everyone: rendered.mention_everyone,
      reply_to: input.reply_to ?? null,
      thread_id: input.thread_id ?? null,
      embeds: input.embeds ?? [],
      webhook_id: input.webhook_id ?? null,
      webhook_author: input.webhook_author ?? null,
      interaction: input.interaction ?? null,
    };
    const bind = (attachments: unknown[]) => [
      values.id,
      values.channel_id,
      values.author_id,
      values.type,
      values.content,
      values.nonce,
      values.nonce_is_integer,
      values.created_at,
      values.content_html,
      values.mentions,
      values.mention_roles,
      values.mention_everyone,
      values.reply_to,
      values.thread_id,
      JSON.stringify(attachments),
      JSON.stringify(values.embeds),
      values.webhook_id,
      values.webhook_author ? JSON.stringify(values.webhook_author) : null,
      values.interaction ? JSON.stringify(values.interaction) : null,
    ];
    /** MESSAGE_CREATE and the outgoing webhook event, first of a new message's effects. */
    const announce = (fx: Effects, fresh: MessageRecord) => {
      const message = presentMessage(rt.config, fresh);
      fx.dispatch([rooms.channel(message.channel_id)], 'MESSAGE_CREATE', message);
      fx.outgoing({
        type: 'MESSAGE_CREATE',
        server_id: channel.server_id,
        channel_id: message.channel_id,
        data: message,
        key: `MESSAGE_CREATE-${message.id}`,
      });
    };
    const plain =
      prepared.recipients.length === 0 &&
      !isThreadType(channel.channel_type) &&
      (input.attachments ?? []).length === 0;
    /**
     * A plain message's effects, known before it is stored: the row is what the job says.
     * Only for a plain one.
     */
    const plainEffects = (): Effects => {
      const fx = new Effects(rt.snowflake, rooms.channel(input.channel_id));
      // As Message.build would make it (its defaults: the row the insert stores), presented the same.
      const planned: MessageRecord = {
        ...values,
        attachments: [],
        pinned: false,
        edited_at: null,
      };
      announce(fx, planned);
      pushEffects(fx, prepared);
      previewEffect(fx, planned, input.embed_links ?? false);
      return fx;
    };
    return { job, input, channel, prepared, bind, announce, plain, plainEffects };
  }
  type Plan = Awaited<ReturnType<typeof plan>>;

  /**
   * Takes the order of the plans' channels and gives each the id it is stored under
   * (shared/messages/stored-ids.ts); a plan whose id changed is made again with it. The caller
   * stores the plans under the hold and releases it once their events are out.
   */
  async function order(plans: Plan[]): Promise<{ plans: Plan[]; hold: OrderHold }> {
    const hold = (await holdOrder(
      rt,
      plans.map((p) => rooms.channel(p.input.channel_id)),
      { facts: newestIdFacts },
    ))!;
    try {
      const ids = await storedIds(
        rt,
        plans.map((p) => ({ id: p.input.id, channelId: p.input.channel_id })),
        new Map(plans.map((p) => [p.input.channel_id, hold.fact(rooms.channel(p.input.channel_id))])),
      );
      const final = await Promise.all(
        plans.map((p, i) =>
          ids[i] === p.input.id
            ? Promise.resolve(p)
            : plan({ ...p.job, message: { ...p.input, id: ids[i]! } }),
        ),
      );
      return { plans: final, hold };
    } catch (err) {
      await hold.release();
      throw err;
    }
  }

  /**
   * Raises the newest id its channel's hold knows (order: newestIdFacts) to the stored rows': only
   * this process stores into the channel while it holds it.
   */
  function noteStored<T extends MessageRecord>(rows: T[]): T[] {
    for (const row of rows) {
      const key = rooms.channel(row.channel_id);
      const hold = heldFor(key);
      const known = hold?.fact(key);
      if (hold && (known === null || known === undefined || BigInt(known) < BigInt(row.id)))
        hold.setFact(key, row.id);
    }
    return rows;
  }

  /**
   * A plain message: the insert and its outbox row are one statement (no BEGIN/COMMIT round
   * trips). A retry finds the row and causes nothing again.
   */
  async function storePlain(p: Plan): Promise<MessageRecord> {
    const [row] = await runStatement(rt, p.plainEffects(), insertStatement(1), p.bind([]));
    return noteStored([row ?? (await readStored(rt, [p.input.id]))[0]!])[0]!;
  }

  /**
   * Plain messages, in the order given, as one multi-row insert that stores their outbox row in
   * the same statement. The rows returned in that order (a retried job's row: read back), and the
   * relay of their effects.
   */
  async function storePlainBatch(
    plans: Plan[],
  ): Promise<{ rows: MessageRecord[]; relay: () => Promise<void> }> {
    const bind = plans.flatMap((p) => p.bind([]));
    const { rows, relay } = await runBatchStatement(
      rt,
      plans.map((p) => ({ key: p.input.id, fx: p.plainEffects() })),
      insertStatement(plans.length),
      bind,
    );
    const byId = new Map(rows.map((r) => [String(r.id), r]));
    const missing = plans.map((p) => p.input.id).filter((id) => !byId.has(id));
    if (missing.length > 0) for (const row of await readStored(rt, missing)) byId.set(row.id, row);
    const stored = noteStored(plans.map((p) => byId.get(p.input.id)!));
    // The authors' read states in one statement, with the relay (not on each job's own).
    return { rows: stored, relay: () => Promise.all([relay(), authorReads(stored)]).then(() => undefined) };
  }

  /** recordAuthorReads that never throws: the message is stored; a read state is not worth failing it. */
  const authorReads = (rows: MessageRecord[]) =>
    recordAuthorReads(rt, rows).catch((err: Error) =>
      rt.logger.warn({ err: err.message }, 'could not record the authors of a message batch as having read'),
    );

  /**
   * A message with more to store than its row: the message, what it changes (read states,
   * notifications, thread counts) and its effects commit together; a retry finds the row and
   * causes nothing again.
   */
  async function storeWithEffects(p: Plan): Promise<Row<'Message'>> {
    const { input, channel, prepared } = p;
    const row = await runCommand(rt, rooms.channel(input.channel_id), async (transaction, fx) => {
      const attachments = await claimAttachments(rt, input, transaction);
      const inserted = await rt.sequelize.query(INSERT_MESSAGE, {
        bind: p.bind(attachments.map((a) => storedAttachment(rt.config, a))),
        type: QueryTypes.SELECT,
        model: Message,
        mapToModel: true,
        transaction,
      });
      const fresh = inserted[0];
      if (!fresh) return Message.findByPk(input.id, { rejectOnEmpty: true, transaction });
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
      p.announce(fx, fresh);
      // The model the cold path's helpers take, as Channel.findByPk would have built it.
      const model = Channel.build(channel, { raw: true, isNewRecord: false });
      await applyMessageEffects(rt, fx, model, fresh, prepared, transaction);
      // Last: previews can never hold the message up.
      previewEffect(fx, fresh, input.embed_links ?? false);
      return fresh;
    });
    return noteStored([row])[0]!;
  }

  /** What a create answers: the stored message; its author has read the channel up to it. */
  async function answer(row: MessageRecord): Promise<MessageObject> {
    // A webhook's message is not its creator reading the channel.
    if (!row.webhook_id) await recordAuthorRead(rt, row);
    return presentMessage(rt.config, row);
  }

  async function create(job: CreateMessageJob): Promise<MessageObject> {
    const {
      plans: [p],
      hold,
    } = await order([await plan(job)]);
    let row: MessageRecord;
    try {
      row = await hold.run(() => (p!.plain ? storePlain(p!) : storeWithEffects(p!)));
    } finally {
      await hold.release();
    }
    return answer(row);
  }

  const batcher =
    rt.config.queues.message_batch_window_ms > 0
      ? new CreateBatcher<Plan, MessageRecord>({
          windowMs: rt.config.queues.message_batch_window_ms,
          max: rt.config.queues.message_batch_max,
          prepare: plan,
          idOf: (p) => p.input.id,
          order,
          batchable: (p) => p.plain,
          storeOne: async (p) => {
            const row = p.plain ? await storePlain(p) : await storeWithEffects(p);
            if (!row.webhook_id) await recordAuthorRead(rt, row);
            return row;
          },
          storeBatch: storePlainBatch,
          onBatchFailed: (err, size) =>
            rt.logger.warn(
              { err: err.message, size },
              'message batch failed; storing its messages one by one',
            ),
        })
      : null;

  // A batch records its authors' reads itself.
  return (job) => (batcher ? batcher.add(job).then((row) => presentMessage(rt.config, row)) : create(job));
}

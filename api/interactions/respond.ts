import { ApiError, NotFoundError } from '../../shared/errors.js';
import { extractMentions, renderMessageHtml } from '../../shared/markdown/index.js';
import { Permission, ServerPolicy, has } from '../../shared/permissions/index.js';
import type { MessageObject } from '../../shared/presenters/types.js';
import { rooms } from '../../shared/events/index.js';
import { messageJobId, type CreateMessageJob } from '../../shared/queues/index.js';
import type { Runtime } from '../../shared/runtime.js';
import { decodeSnowflake, isSnowflake } from '../../shared/snowflake.js';
import { runMessageCommand } from '../messages/jobs.js';
import type { ApiServices } from '../services.js';
import {
  claimFirstAnswer,
  interactionExpired,
  isAnswered,
  publishOutcome,
  readAck,
  readOriginal,
  writeOriginal,
  type InteractionRecord,
} from './store.js';

/** A message an application answers with (validated by responseMessage). */
export interface ResponseInput {
  content?: string;
  embeds?: Record<string, unknown>[];
  ephemeral?: boolean;
}

/** The first answer (validated by callbackBody). */
export type CallbackInput =
  { type: 'message'; data: ResponseInput } | { type: 'deferred'; data: { ephemeral?: boolean } };

/** What the bot may do in the interaction's channel; 404 once it is no longer in the server. */
async function botPermissions(rt: Runtime, record: InteractionRecord): Promise<bigint> {
  const [policy, channel] = await Promise.all([
    ServerPolicy.load(rt, record.server_id, record.bot_user_id).catch(() => null),
    rt.models.Channel.findByPk(record.channel_id),
  ]);
  if (!policy || !channel) throw new NotFoundError('interaction');
  return policy.channelPermissions(channel);
}

const interactionOf = (record: InteractionRecord) => ({
  id: record.id,
  name: record.command_name,
  user_id: record.user_id,
});

/**
 * An ephemeral answer: presented like a stored message (Markdown rendered, user mentions named,
 * nobody notified) but stored nowhere; MESSAGE_CREATE goes to the invoking user's own room only.
 */
async function postEphemeral(
  rt: Runtime,
  record: InteractionRecord,
  input: ResponseInput,
  id: string,
): Promise<MessageObject> {
  const content = input.content ?? '';
  const userIds = extractMentions(content).users.filter(isSnowflake);
  const users = userIds.length
    ? await rt.models.User.findAll({ where: { id: userIds }, attributes: ['id', 'username'] })
    : [];
  const message: MessageObject = {
    id,
    channel_id: record.channel_id,
    author_id: record.bot_user_id,
    type: 'default',
    content,
    nonce: null,
    created_at: Math.floor(decodeSnowflake(id).timestampMs / 1000),
    edited_at: null,
    attachments: [],
    embeds: (input.embeds ?? []).map((e) => ({ type: 'rich', ...e })),
    pinned: false,
    content_html: renderMessageHtml(content, { users: new Map(users.map((u) => [u.id, u.username])) }),
    mentions: [],
    mention_roles: [],
    mention_everyone: false,
    reply_to: null,
    reactions: [],
    thread_id: null,
    webhook_id: null,
    interaction: interactionOf(record),
    flags: ['ephemeral'],
  };
  await rt.events.dispatch([rooms.user(record.user_id)], 'MESSAGE_CREATE', message);
  return message;
}

/**
 * Posts an answer authored by the bot: ephemeral (to the invoker only), or a channel message
 * through the messages queue with `interaction` set. The bot needs no SEND_MESSAGES for it (the
 * invoker asked); @everyone and link previews follow the bot's own MENTION_EVERYONE and
 * EMBED_LINKS. Returns the message, or undefined while a stored one is still queued.
 */
export async function postAnswer(
  rt: Runtime,
  services: ApiServices,
  record: InteractionRecord,
  input: ResponseInput,
  id: string = rt.snowflake.next(),
): Promise<MessageObject | undefined> {
  const perms = await botPermissions(rt, record);
  if (input.ephemeral) return postEphemeral(rt, record, input, id);
  const job: CreateMessageJob = {
    kind: 'create',
    message: {
      id,
      channel_id: record.channel_id,
      author_id: record.bot_user_id,
      content: input.content ?? '',
      nonce: null,
      allow_everyone: has(perms, Permission.MENTION_EVERYONE),
      embed_links: has(perms, Permission.EMBED_LINKS),
      interaction: interactionOf(record),
      ...(input.embeds && input.embeds.length > 0
        ? { embeds: input.embeds.map((e) => ({ type: 'rich', ...e })) }
        : {}),
    },
  };
  const outcome = await runMessageCommand(rt, services, messageJobId('create', id), job);
  return outcome.done && outcome.result ? outcome.result : undefined;
}

/**
 * The application's first answer (callback route, or the body of its HTTP interactions endpoint's
 * response): taken once, before the deadline; then the message is posted and the invoking user's
 * waiting request gets the outcome.
 */
export async function acceptCallback(
  rt: Runtime,
  services: ApiServices,
  record: InteractionRecord,
  callback: CallbackInput,
): Promise<void> {
  // A bot removed from the server since the invocation answers nothing.
  await botPermissions(rt, record);
  if (callback.type === 'deferred') {
    const ephemeral = callback.data.ephemeral ?? false;
    await claimFirstAnswer(rt, record, { type: 'deferred', ephemeral });
    await publishOutcome(rt, record, { status: 'deferred' });
    return;
  }
  const ephemeral = callback.data.ephemeral ?? false;
  await claimFirstAnswer(rt, record, { type: ephemeral ? 'ephemeral' : 'message' });
  const id = rt.snowflake.next();
  await writeOriginal(rt, record, { message_id: id, ephemeral });
  let message: MessageObject | undefined;
  try {
    message = await postAnswer(rt, services, record, callback.data, id);
  } catch (err) {
    await publishOutcome(rt, record, { failed: 'its answer could not be posted' }).catch(() => undefined);
    throw err;
  }
  if (message && ephemeral) await writeOriginal(rt, record, { message_id: id, ephemeral, message });
  await publishOutcome(rt, record, {
    status: ephemeral ? 'ephemeral' : 'message',
    ...(message ? { message } : {}),
  });
}

/** Follow-ups and edits need a first answer that was taken: 400 before it, 410 if the interaction failed. */
async function requireAnswered(rt: Runtime, record: InteractionRecord) {
  const ack = await readAck(rt, record.id);
  if (!ack) {
    throw new ApiError(
      400,
      'interaction_not_acknowledged',
      'Answer the interaction first (callback `message` or `deferred`)',
    );
  }
  if (!isAnswered(ack)) throw interactionExpired();
  return ack;
}

/**
 * A follow-up message within the follow-up window. After a deferral with nothing posted yet, the
 * first follow-up becomes the original response.
 */
export async function postFollowup(
  rt: Runtime,
  services: ApiServices,
  record: InteractionRecord,
  input: ResponseInput,
): Promise<MessageObject | { id: string; channel_id: string; pending: true }> {
  await requireAnswered(rt, record);
  const id = rt.snowflake.next();
  const ephemeral = input.ephemeral ?? false;
  const first = await writeOriginal(rt, record, { message_id: id, ephemeral }, true);
  const message = await postAnswer(rt, services, record, input, id);
  if (first && message && ephemeral) await writeOriginal(rt, record, { message_id: id, ephemeral, message });
  return message ?? { id, channel_id: record.channel_id, pending: true };
}

/**
 * Edits the original response's content. After a deferral with nothing posted yet, posts it
 * (ephemeral if the deferral said so), as Discord's "edit original" fills in a deferred answer.
 */
export async function editOriginal(
  rt: Runtime,
  services: ApiServices,
  record: InteractionRecord,
  content: string,
): Promise<MessageObject | { id: string; channel_id: string; pending: true }> {
  const ack = await requireAnswered(rt, record);
  let original = await readOriginal(rt, record.id);
  if (!original) {
    const id = rt.snowflake.next();
    const ephemeral = ack.ephemeral ?? false;
    if (await writeOriginal(rt, record, { message_id: id, ephemeral }, true)) {
      const message = await postAnswer(rt, services, record, { content, ephemeral }, id);
      if (message && ephemeral) await writeOriginal(rt, record, { message_id: id, ephemeral, message });
      return message ?? { id, channel_id: record.channel_id, pending: true };
    }
    // A concurrent follow-up or edit posted it first: edit that one.
    original = await readOriginal(rt, record.id);
    if (!original) throw new NotFoundError('message');
  }
  if (original.ephemeral) {
    if (!original.message) throw new NotFoundError('message');
    const userIds = extractMentions(content).users.filter(isSnowflake);
    const users = userIds.length
      ? await rt.models.User.findAll({ where: { id: userIds }, attributes: ['id', 'username'] })
      : [];
    const message: MessageObject = {
      ...original.message,
      content,
      content_html: renderMessageHtml(content, { users: new Map(users.map((u) => [u.id, u.username])) }),
      edited_at: Math.floor(Date.now() / 1000),
    };
    await writeOriginal(rt, record, { ...original, message });
    await rt.events.dispatch([rooms.user(record.user_id)], 'MESSAGE_UPDATE', message);
    return message;
  }
  const perms = await botPermissions(rt, record);
  const editId = rt.snowflake.next();
  const outcome = await runMessageCommand(rt, services, messageJobId('update', original.message_id, editId), {
    kind: 'update',
    edit_id: editId,
    message_id: original.message_id,
    channel_id: record.channel_id,
    content,
    allow_everyone: has(perms, Permission.MENTION_EVERYONE),
    embed_links: has(perms, Permission.EMBED_LINKS),
  });
  if (outcome.done && outcome.result) return outcome.result;
  if (outcome.done) throw new NotFoundError('message');
  return { id: original.message_id, channel_id: record.channel_id, pending: true };
}

import { NotFoundError } from '../../errors.js';
import { rooms } from '../../events/index.js';
import { extractMentions, renderMessageHtml } from '../../markdown/index.js';
import { Permission, ServerPolicy, has } from '../../permissions/index.js';
import type { MessageObject } from '../../presenters/types.js';
import { messageJobId, type CreateMessageJob } from '../../queues/index.js';
import type { Runtime } from '../../runtime.js';
import { decodeSnowflake, isSnowflake } from '../../snowflake.js';
import {
  claimAck,
  claimFirstAnswer,
  publishOutcome,
  writeOriginal,
  type InteractionRecord,
} from './store.js';

/**
 * An application's answer to an interaction, taken the same way by the API (the callback route)
 * and by the worker that POSTed the interaction to its interactions_url (the response's body).
 */

/** A message an application answers with (validated by responseMessage). */
export interface ResponseInput {
  content?: string;
  embeds?: Record<string, unknown>[];
  ephemeral?: boolean;
}

/** The first answer (validated by callbackBody). */
export type CallbackInput =
  { type: 'message'; data: ResponseInput } | { type: 'deferred'; data: { ephemeral?: boolean } };

/**
 * Queues a message create command under `jobId` (a repeat is a no-op) and waits a bounded time for
 * it: the stored message, or undefined while it is still queued. Each role waits its own way.
 */
export type MessageRunner = (jobId: string, job: CreateMessageJob) => Promise<MessageObject | undefined>;

/** What the bot may do in the interaction's channel; 404 once it is no longer in the server. */
export async function botPermissions(rt: Runtime, record: InteractionRecord): Promise<bigint> {
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

/** A message's content as rendered HTML, with the user mentions in it named. */
export async function renderAnswerHtml(rt: Runtime, content: string): Promise<string> {
  const userIds = extractMentions(content).users.filter(isSnowflake);
  const users = userIds.length
    ? await rt.models.User.findAll({ where: { id: userIds }, attributes: ['id', 'username'] })
    : [];
  return renderMessageHtml(content, { users: new Map(users.map((u) => [u.id, u.username])) });
}

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
    content_html: await renderAnswerHtml(rt, content),
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
  runMessage: MessageRunner,
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
  return runMessage(messageJobId('create', id), job);
}

/**
 * The application's first answer (callback route, or the body of its HTTP interactions endpoint's
 * response): taken once, before the deadline; then the message is posted and the invoking user's
 * waiting request gets the outcome.
 */
export async function acceptCallback(
  rt: Runtime,
  runMessage: MessageRunner,
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
    message = await postAnswer(rt, runMessage, record, callback.data, id);
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

/** Fails the interaction (unless an answer got in first) and tells the waiting user why. */
export async function failInteraction(rt: Runtime, record: InteractionRecord, reason: string): Promise<void> {
  rt.logger.info(
    { interaction: record.id, application: record.application_id, reason },
    'interaction failed',
  );
  if ((await claimAck(rt, record, { type: 'failed' })) === null) {
    await publishOutcome(rt, record, { failed: reason });
  }
}

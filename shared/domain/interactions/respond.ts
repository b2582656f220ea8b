import { ApiError, NotFoundError } from '../../errors.js';
import { rooms } from '../../events/index.js';
import { storedIdOf } from '../../messages/stored-ids.js';
import { Permission, has } from '../../permissions/index.js';
import type { MessageObject } from '../../presenters/types.js';
import { messageJobId, type UpdateMessageJob } from '../../queues/index.js';
import type { Runtime } from '../../runtime.js';
import {
  botPermissions,
  postAnswer,
  renderAnswerHtml,
  type MessageRunner,
  type ResponseInput,
} from './answer.js';
import {
  interactionExpired,
  isAnswered,
  readAck,
  readOriginal,
  writeOriginal,
  type InteractionRecord,
} from './store.js';

/**
 * Queues a message edit under `jobId` and waits a bounded time for it: the edited message, null
 * when the message is gone, undefined while the edit is still queued.
 */
export type MessageUpdater = (
  jobId: string,
  job: UpdateMessageJob,
) => Promise<MessageObject | null | undefined>;

/** What an answer posted after the first is: the message, or its id while it is still being stored. */
export type LaterAnswer = MessageObject | { id: string; channel_id: string; pending: true };

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
 * Posts message `id` as the original response after a deferral (an ephemeral one is kept with the
 * record, so that it can be edited).
 */
async function postOriginal(
  rt: Runtime,
  runMessage: MessageRunner,
  record: InteractionRecord,
  input: ResponseInput,
  id: string,
): Promise<LaterAnswer> {
  const ephemeral = input.ephemeral ?? false;
  const message = await postAnswer(rt, runMessage, record, input, id);
  if (message && ephemeral) await writeOriginal(rt, record, { message_id: id, ephemeral, message });
  return message ?? { id, channel_id: record.channel_id, pending: true };
}

/**
 * A follow-up message within the follow-up window. After a deferral with nothing posted yet, the
 * first follow-up becomes the original response.
 */
export async function postFollowup(
  rt: Runtime,
  runMessage: MessageRunner,
  record: InteractionRecord,
  input: ResponseInput,
): Promise<LaterAnswer> {
  await requireAnswered(rt, record);
  const id = rt.snowflake.next();
  const ephemeral = input.ephemeral ?? false;
  const first = await writeOriginal(rt, record, { message_id: id, ephemeral }, true);
  if (first) return postOriginal(rt, runMessage, record, input, id);
  const message = await postAnswer(rt, runMessage, record, input, id);
  return message ?? { id, channel_id: record.channel_id, pending: true };
}

/**
 * Edits the original response's content. After a deferral with nothing posted yet, posts it
 * (ephemeral if the deferral said so), as Discord's "edit original" fills in a deferred answer.
 * An ephemeral original is edited where it is kept and its MESSAGE_UPDATE goes to the invoking
 * user directly (there is no row); a stored one is edited through the messages queue.
 */
export async function editOriginal(
  rt: Runtime,
  runners: { create: MessageRunner; update: MessageUpdater },
  record: InteractionRecord,
  content: string,
): Promise<LaterAnswer> {
  const ack = await requireAnswered(rt, record);
  let original = await readOriginal(rt, record.id);
  if (!original) {
    const id = rt.snowflake.next();
    const ephemeral = ack.ephemeral ?? false;
    if (await writeOriginal(rt, record, { message_id: id, ephemeral }, true)) {
      return postOriginal(rt, runners.create, record, { content, ephemeral }, id);
    }
    // A concurrent follow-up or edit posted it first: edit that one.
    original = await readOriginal(rt, record.id);
    if (!original) throw new NotFoundError('message');
  }
  if (original.ephemeral) {
    if (!original.message) throw new NotFoundError('message');
    const message: MessageObject = {
      ...original.message,
      content,
      content_html: await renderAnswerHtml(rt, content),
      edited_at: Math.floor(Date.now() / 1000),
    };
    await writeOriginal(rt, record, { ...original, message });
    await rt.events.dispatch([rooms.user(record.user_id)], 'MESSAGE_UPDATE', message);
    return message;
  }
  const perms = await botPermissions(rt, record);
  const editId = rt.snowflake.next();
  // The answer's minted id, or the later one it was stored under (shared/messages/stored-ids.ts).
  const messageId = await storedIdOf(rt, original.message_id);
  const edited = await runners.update(messageJobId('update', messageId, editId), {
    kind: 'update',
    edit_id: editId,
    message_id: messageId,
    channel_id: record.channel_id,
    content,
    allow_everyone: has(perms, Permission.MENTION_EVERYONE),
    embed_links: has(perms, Permission.EMBED_LINKS),
  });
  if (edited === null) throw new NotFoundError('message');
  return edited ?? { id: messageId, channel_id: record.channel_id, pending: true };
}

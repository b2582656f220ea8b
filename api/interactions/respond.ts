import { ApiError, NotFoundError } from '../../shared/errors.js';
import { rooms } from '../../shared/events/index.js';
import {
  botPermissions,
  postAnswer,
  renderAnswerHtml,
  type MessageRunner,
  type ResponseInput,
} from '../../shared/domain/interactions/answer.js';
import {
  interactionExpired,
  isAnswered,
  readAck,
  readOriginal,
  writeOriginal,
  type InteractionRecord,
} from '../../shared/domain/interactions/store.js';
import { Permission, has } from '../../shared/permissions/index.js';
import type { MessageObject } from '../../shared/presenters/types.js';
import { messageJobId } from '../../shared/queues/index.js';
import type { Runtime } from '../../shared/runtime.js';
import { runMessageCommand } from '../messages/jobs.js';
import type { ApiServices } from '../services.js';

/** Message commands from the API: queued, then waited for up to queues.wait_timeout_ms. */
export function apiMessageRunner(rt: Runtime, services: ApiServices): MessageRunner {
  return async (jobId, job) => {
    const outcome = await runMessageCommand(rt, services, jobId, job);
    return outcome.done && outcome.result ? outcome.result : undefined;
  };
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
  const message = await postAnswer(rt, apiMessageRunner(rt, services), record, input, id);
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
      const message = await postAnswer(
        rt,
        apiMessageRunner(rt, services),
        record,
        { content, ephemeral },
        id,
      );
      if (message && ephemeral) await writeOriginal(rt, record, { message_id: id, ephemeral, message });
      return message ?? { id, channel_id: record.channel_id, pending: true };
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

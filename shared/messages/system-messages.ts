import type { Effects } from '../outbox/effects.js';
import { messageJobId, type CreateMessageJob } from '../queues/index.js';
import type { Runtime } from '../runtime.js';

/**
 * The system user (migration 0022): the author of notices no member caused themselves, so an
 * AutoMod alert is not shown as written by the member it is about. Nobody can sign in as it.
 */
export const SYSTEM_USER_ID = '4194304';

/**
 * Message types the server posts itself. Nobody edits them (400 `system_message`); only
 * MANAGE_MESSAGES deletes them; search leaves them out.
 */
export const SYSTEM_MESSAGE_TYPES = [
  'member_join',
  'channel_name_change',
  'pin_added',
  'thread_created',
  /** AutoMod's note to a moderation channel (workers/processors/automod.ts); its author is SYSTEM_USER_ID. */
  'automod_alert',
] as const;
export type SystemMessageType = (typeof SYSTEM_MESSAGE_TYPES)[number];

/** Whether a stored message type is a system message. */
export function isSystemMessage(type: string): boolean {
  return (SYSTEM_MESSAGE_TYPES as readonly string[]).includes(type);
}

/** A system message to post. */
export interface SystemMessage {
  channel_id: string;
  type: SystemMessageType;
  /** Who caused it: the member who joined, the renamer, the pinner, the thread's creator. */
  author_id: string;
  /** channel_name_change: the new name; thread_created: the thread's name; otherwise ''. */
  content?: string;
  /** The message it is about (pin_added: the pinned message). */
  reply_to?: string | null;
  /** thread_created: the thread it announces. */
  thread_id?: string | null;
}

/** The create job of system message `id`, keyed by the message: the same notice twice stores it once. */
export function systemMessageJob(
  notice: SystemMessage,
  id: string,
): { data: CreateMessageJob; opts: { jobId: string } } {
  return {
    data: {
      kind: 'create',
      message: {
        id,
        channel_id: notice.channel_id,
        author_id: notice.author_id,
        content: notice.content ?? '',
        nonce: null,
        type: notice.type,
        reply_to: notice.reply_to ?? null,
        ...(notice.thread_id ? { thread_id: notice.thread_id } : {}),
        allow_everyone: false,
      },
    },
    opts: { jobId: systemMessageJobId(id) },
  };
}

/**
 * Posts system message `notice` as an effect of a command: queued with its outbox row after the
 * commit (its job id is the message's, so a second relay stores it once). Returns its id
 * (`systemMessageJobId` of it names its job, for a route that answers once it is stored).
 */
export function postSystemMessageEffect(
  rt: Pick<Runtime, 'snowflake'>,
  fx: Effects,
  notice: SystemMessage,
): string {
  const id = rt.snowflake.next();
  const job = systemMessageJob(notice, id);
  fx.job('messages', 'create', job.data, job.opts);
  return id;
}

/** The job that stores the system message `id` (postSystemMessageEffect's). */
export const systemMessageJobId = (id: string): string => messageJobId('create', id);

/**
 * postSystemMessageEffect for a command whose route answers once the notice is stored, so the
 * caller's next read shows it (api/messages/jobs.ts, awaitFollowUps): returns the notice's job id.
 */
export function postAwaitedNotice(
  rt: Pick<Runtime, 'snowflake'>,
  fx: Effects,
  notice: SystemMessage,
): string {
  return systemMessageJobId(postSystemMessageEffect(rt, fx, notice));
}

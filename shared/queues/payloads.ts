import type { MessageObject } from '../presenters/types.js';
import type { QueueName } from './names.js';

/** A message to store, as the API validated it. No secrets ever go into a job payload. */
export interface CreateMessageJob {
  kind: 'create';
  message: {
    id: string;
    channel_id: string;
    author_id: string;
    content: string;
    nonce: string | null;
    type?: string;
    reply_to?: string | null;
    /** Whether the author may mention @everyone/@here and any role (MENTION_EVERYONE). */
    allow_everyone?: boolean;
    /** A thread_created notice: the thread it announces. */
    thread_id?: string | null;
  };
}

/** An edit of a message's content by its author. */
export interface UpdateMessageJob {
  kind: 'update';
  /** Distinguishes successive edits of one message (their job ids differ). */
  edit_id: string;
  message_id: string;
  channel_id: string;
  content: string;
  allow_everyone: boolean;
}

/** A message deletion (by its author or a moderator). */
export interface DeleteMessageJob {
  kind: 'delete';
  message_id: string;
  channel_id: string;
}

/** Links a message to the thread started from it (null: the thread was deleted). */
export interface SetThreadJob {
  kind: 'set_thread';
  message_id: string;
  channel_id: string;
  thread_id: string | null;
}

/** A reaction added or removed by `user_id` (their own, or a moderator removing someone else's). */
export interface ReactionJob {
  kind: 'reaction_add' | 'reaction_remove';
  message_id: string;
  channel_id: string;
  user_id: string;
  /** A unicode emoji sequence or a custom emoji's `name:id` (api/messages/emoji.ts). */
  emoji: string;
  /** reaction_add: whether the user may add an emoji nobody has added yet (ADD_REACTIONS). */
  may_add_new?: boolean;
}

/** Pins a message; the first time, also posts its `pin_added` notice with the id chosen by the API. */
export interface PinJob {
  kind: 'pin';
  message_id: string;
  channel_id: string;
  actor_id: string;
  notice_id: string;
}

/** Unpins a message. */
export interface UnpinJob {
  kind: 'unpin';
  message_id: string;
  channel_id: string;
}

/** Deletes up to 100 messages of one channel in one statement (ids of other channels are ignored). */
export interface BulkDeleteJob {
  kind: 'bulk_delete';
  channel_id: string;
  message_ids: string[];
}

/** The periodic sweep that archives threads idle for longer than their auto_archive_minutes. */
export interface ArchiveIdleThreadsJob {
  kind: 'archive_idle_threads';
}

export type MessageJob =
  | CreateMessageJob
  | UpdateMessageJob
  | DeleteMessageJob
  | SetThreadJob
  | ArchiveIdleThreadsJob
  | ReactionJob
  | PinJob
  | UnpinJob
  | BulkDeleteJob;

/** Payload of each queue's jobs. */
export interface JobPayloads {
  messages: MessageJob;
}

/** What each queue's processor returns (the API waits on it to answer with the stored object). */
export interface JobResults {
  /** The stored message; null after a delete. */
  messages: MessageObject | null;
}

/**
 * The job id of a message command: derived from the message id, so a retried add is a no-op
 * (`suffix` tells apart commands that may repeat, such as successive edits).
 */
export function messageJobId(kind: MessageJob['kind'], messageId: string, suffix?: string): string {
  // BullMQ refuses custom ids that look like integers.
  return suffix ? `msg-${kind}-${messageId}-${suffix}` : `msg-${kind}-${messageId}`;
}

export type JobPayload<Q extends QueueName> = JobPayloads[Q];
export type JobResult<Q extends QueueName> = JobResults[Q];

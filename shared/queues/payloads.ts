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

export type MessageJob = CreateMessageJob | UpdateMessageJob | DeleteMessageJob;

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

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
  };
}

/** Payload of each queue's jobs. */
export interface JobPayloads {
  messages: CreateMessageJob;
}

/** What each queue's processor returns (the API waits on it to answer with the stored object). */
export interface JobResults {
  messages: MessageObject;
}

/** The job id of a message command: derived from the message id, so a retried add is a no-op. */
export function messageJobId(kind: CreateMessageJob['kind'], messageId: string): string {
  // BullMQ refuses custom ids that look like integers.
  return `msg-${kind}-${messageId}`;
}

export type JobPayload<Q extends QueueName> = JobPayloads[Q];
export type JobResult<Q extends QueueName> = JobResults[Q];

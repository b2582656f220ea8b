import type { MessageObject } from '../presenters/types.js';
import type { DeliveryStatus } from '../db/models/event-webhook.js';
import type { OutgoingEventType } from '../integrations/event-types.js';
import type { QueueName } from './names.js';

/** A message to store, as the API validated it. No secrets ever go into a job payload. */
export interface CreateMessageJob {
  kind: 'create';
  message: {
    id: string;
    channel_id: string;
    author_id: string;
    content: string;
    /** As sent: an integer is stored as its digits and answered as an integer. */
    nonce: string | number | null;
    type?: string;
    reply_to?: string | null;
    /** Whether the author may mention @everyone/@here and any role (MENTION_EVERYONE). */
    allow_everyone?: boolean;
    /** The author's uploads to bind to the message, in order (checked by the API). */
    attachments?: string[];
    /** A thread_created notice: the thread it announces. */
    thread_id?: string | null;
    /** Whether the author may embed links (EMBED_LINKS): link previews are made only then. */
    embed_links?: boolean;
    /** Posted by this incoming webhook (author_id is its creator), under `webhook_author`. */
    webhook_id?: string | null;
    webhook_author?: { username: string; avatar_url: string | null } | null;
    /** Rich embeds (type `rich`) sent with the message, validated by the API. */
    embeds?: Record<string, unknown>[];
    /** A bot's answer to a slash command: the interaction it answers. */
    interaction?: { id: string; name: string; user_id: string } | null;
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
  /** Whether the author may embed links (EMBED_LINKS): link previews are made only then. */
  embed_links?: boolean;
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

/** An upload for the media worker to inspect (metadata, thumbnail, EXIF stripping). */
export interface InspectMediaJob {
  kind: 'inspect';
  attachment_id: string;
}

/** The periodic sweep of uploads never sent in a message. */
export interface SweepUploadsJob {
  kind: 'sweep_unbound';
}

/**
 * Files whose rows are gone, named in the job: what releases before 2026-12-06 queued (their jobs
 * and outbox rows may still hold some); commands now capture keys in a DeleteFileBatchJob's batch.
 */
export interface DeleteFilesJob {
  kind: 'delete_files';
  keys: string[];
}

/**
 * Files whose rows a command deleted, captured in `file_deletions` under `batch` (a deleted
 * server's or channel's uploads: too many to name in the job), deleted a page at a time.
 */
export interface DeleteFileBatchJob {
  kind: 'delete_file_batch';
  batch: string;
}

export type MediaJob = InspectMediaJob | SweepUploadsJob | DeleteFilesJob | DeleteFileBatchJob;

/** Link previews for a message as it read when the job was queued (workers/processors/embeds.ts). */
export interface EmbedsJob {
  message_id: string;
  channel_id: string;
  /** sha256 (hex) of the content previewed: a job for content since edited away does nothing. */
  content_hash: string;
  /** The author had EMBED_LINKS: without it the message gets no previews (old ones are removed). */
  embed_links: boolean;
}

/**
 * One event to hand to a server's matching event webhooks (shared/integrations/outgoing-events.ts):
 * the worker stores a delivery per subscription that wants it and queues each.
 */
export interface WebhookFanoutJob {
  kind: 'fanout';
  /** The event's snowflake: one delivery per subscription and event however often this runs. */
  event_id: string;
  server_id: string;
  /** Where it happened; null for server-wide events (members joining and leaving). */
  channel_id: string | null;
  type: OutgoingEventType;
  /** Unix seconds when it happened. */
  timestamp: number;
  /** The gateway payload of the event. */
  data: unknown;
}

/** One attempt of one delivery; `round` counts manual redeliveries (each restarts the attempts). */
export interface WebhookDeliverJob {
  kind: 'deliver';
  delivery_id: string;
  round: number;
  attempt: number;
}

/** The periodic sweep of deliveries older than webhooks.retention_days. */
export interface WebhookPruneJob {
  kind: 'prune';
}

/**
 * One attempt to POST an interaction to its application's interactions_url
 * (shared/integrations/interaction-deliveries.ts); the body and its sealed token are in the row.
 */
export interface InteractionDeliverJob {
  kind: 'interaction';
  delivery_id: string;
  attempt: number;
}

/** Outgoing HTTP: event webhooks and interactions (workers/processors/webhooks.ts). */
export type WebhooksJob = WebhookFanoutJob | WebhookDeliverJob | WebhookPruneJob | InteractionDeliverJob;

/**
 * What a webhooks job did: fanout, how many deliveries it queued; deliver, the delivery's status
 * after the attempt (`skipped`: nothing was due); prune, how many deliveries it deleted.
 */
export type WebhooksResult = number | DeliveryStatus | 'skipped';

/** Why a message is pushed to someone: their notification's type, or a message in their DM. */
export type PushReason = 'mention' | 'reply' | 'dm';

/**
 * One message to push to one user's browsers (workers/processors/push.ts). Queued only for users
 * with a subscription who did not mute the channel; whether they are connected is checked when it runs.
 */
export interface PushJob {
  kind: 'message';
  user_id: string;
  message_id: string;
  channel_id: string;
  server_id: string | null;
  type: PushReason;
  /** Subscriptions an earlier attempt already delivered to (a retry sends only to the others). */
  delivered?: string[];
}

/** What a push job's final attempt did (a retry sends only to what earlier attempts missed); `skipped` says why nothing was sent. */
export interface PushResult {
  sent: number;
  /** Subscriptions deleted: gone (404/410) or refused too often. */
  removed: number;
  /** Deliveries refused (counted against their subscription, not retried). */
  failed: number;
  skipped: 'disabled' | 'online' | 'no_subscriptions' | 'gone' | null;
}

/**
 * A message (or an edit) of a server with AutoMod rules, screened before it is stored: the worker
 * queues `command` under `job_id` when no blocking rule matches (workers/processors/automod.ts).
 */
export interface AutomodJob {
  kind: 'screen';
  job_id: string;
  command: CreateMessageJob | UpdateMessageJob;
  server_id: string;
  author_id: string;
  channel_id: string;
  /** A thread's parent: a channel exemption covers its threads. */
  parent_id: string | null;
  author_role_ids: string[];
}

/** What screening decided: null, or the blocking rule that refused the message. */
export interface AutomodResult {
  blocked: { rule_id: string; rule_name: string; detail: string } | null;
}

/**
 * A data export (workers/processors/exports.ts): `build` writes the archive of the export's user;
 * `expire`, delayed by accounts.export_ttl_hours, removes it again.
 */
export interface ExportsJob {
  kind: 'build' | 'expire';
  export_id: string;
}

/** What an exports job left: the export's status, or `gone` when its row no longer exists. */
export type ExportsResult = 'ready' | 'failed' | 'expired' | 'gone';

/** The job id of an export step: one build and one expiry per export, however often it is added. */
export function exportJobId(kind: ExportsJob['kind'], exportId: string): string {
  return `export-${kind}-${exportId}`;
}

/**
 * One mail to send (workers/processors/mail.ts renders it as text and HTML). `link` carries a
 * single-use token: the one secret a mail must contain; the job is removed once sent.
 */
export interface MailJob {
  kind: 'password_reset' | 'email_verify';
  to: string;
  username: string;
  link: string;
  /** How long the link works, in minutes (said in the mail). */
  valid_minutes: number;
}

/** What a mail job did: the SMTP server's message id. */
export interface MailResult {
  message_id: string;
}

/** Payload of each queue's jobs. */
export interface JobPayloads {
  messages: MessageJob;
  media: MediaJob;
  embeds: EmbedsJob;
  webhooks: WebhooksJob;
  push: PushJob;
  automod: AutomodJob;
  exports: ExportsJob;
  mail: MailJob;
}

/** What each queue's processor returns (the API waits on it to answer with the stored object). */
export interface JobResults {
  /** The stored message; null after a delete. */
  messages: MessageObject | null;
  /** The attachment's final status; for a sweep, how many uploads it deleted; for delete_files and delete_file_batch, how many files. */
  media: 'ready' | 'failed' | 'gone' | number;
  /** How many link embeds the message has now; null when the job changed nothing. */
  embeds: number | null;
  webhooks: WebhooksResult;
  push: PushResult;
  automod: AutomodResult;
  exports: ExportsResult;
  mail: MailResult;
}

/**
 * The job id of a message command: derived from the message id, so a retried add is a no-op
 * (`suffix` tells apart commands that may repeat, such as successive edits).
 */
export function messageJobId(kind: MessageJob['kind'], messageId: string, suffix?: string): string {
  // BullMQ refuses custom ids that look like integers.
  return suffix ? `msg-${kind}-${messageId}-${suffix}` : `msg-${kind}-${messageId}`;
}

/**
 * The job id of a message's link previews: message id + content hash, so a retried messages job
 * adds nothing new; an edit's id is part of it too, because content edited A -> B -> A must be
 * previewed again (the first A job is kept as completed and would swallow the add).
 */
export function embedsJobId(messageId: string, contentHash: string, editId?: string): string {
  return `embeds-${messageId}-${editId ?? 'create'}-${contentHash.slice(0, 32)}`;
}

/** The job id of a message's push to one user: a retried messages job queues nothing twice. */
export function pushJobId(messageId: string, userId: string): string {
  return `push-${messageId}-${userId}`;
}

export type JobPayload<Q extends QueueName> = JobPayloads[Q];
export type JobResult<Q extends QueueName> = JobResults[Q];
